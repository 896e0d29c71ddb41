// The load generator process: runs one scenario's client side at a time on request of the runner
// (over the IPC channel), so clients never share an event loop with the runner or the servers.
type Fn = (params: unknown) => Promise<unknown>;

process.on('message', async (msg: { id: number; file: string; fn: string; params: unknown }) => {
  try {
    const mod = (await import(`./scenarios/${msg.file}.js`)) as Record<string, Fn>;
    const result = await mod[msg.fn](msg.params);
    process.send?.({ id: msg.id, result });
  } catch (err) {
    process.send?.({ id: msg.id, error: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
