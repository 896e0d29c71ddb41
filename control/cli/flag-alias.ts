// Skupper v2's flag spellings accepted as aliases of ours (issue 15), so an operator's habits and
// scripts carry over: the alias is listed in --help, sets the same option, and conflicts with it.
import { Command, Option } from 'commander';
import { UsageError } from './output.js';

/** Adds option `flags` (e.g. '--expiration-window <duration>') to `cmd` as an alias of its option
 *  `target` (e.g. '--expiry'); `parse` turns the alias's value into the target's (default: as given). */
export function addAlias(cmd: Command, flags: string, target: string, parse?: (v: string) => unknown): Command {
  const of = cmd.options.find((o) => o.long === target);
  if (!of) throw new Error(`no option ${target} to alias`); // a wiring mistake, caught by every CLI test
  const alias = new Option(flags, `alias of ${target} (Skupper's spelling)`).conflicts(of.attributeName());
  if (parse) alias.argParser(parse);
  cmd.addOption(alias);
  // Copied before the action runs, so the action reads one option whichever spelling was typed.
  return cmd.hook('preAction', (c) => {
    const v = c.getOptionValue(alias.attributeName());
    if (v !== undefined) c.setOptionValueWithSource(of.attributeName(), v, 'cli');
  });
}

/** Skupper's boolean flags take an optional value (`--enable-link-access=false`): none, true or false.
 *  A following word is read as that value, so a positional argument must come before the flag. */
export function boolValue(flag: string) {
  return (v: string): boolean => {
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new UsageError(`${flag} takes no value, =true or =false, not ${JSON.stringify(v.slice(0, 80))} (put arguments before the flag)`);
  };
}
