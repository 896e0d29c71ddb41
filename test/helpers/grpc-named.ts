// A gRPC service for the balancing tests (issue 13): each server says its name in every reply and
// counts its calls, so a test checks both where a call went and what came back. Unary (Say),
// server-streaming (Count) and bidi (Echo) methods, with trailing metadata and non-OK statuses;
// no .proto (the messages are raw bytes).
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';

export const str = (s: string): Buffer => Buffer.from(s);
const ident = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({ path: `/svcnet.test.Named/${name}`, requestStream, responseStream, requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident, originalName: name });
const def: grpc.ServiceDefinition = { Say: method('Say', false, false), Count: method('Count', false, true), Echo: method('Echo', true, true) };

export type NamedClient = grpc.Client & {
  Say(req: Buffer, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Buffer) => void): grpc.ClientUnaryCall;
  Count(req: Buffer, options: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
  Echo(options: grpc.CallOptions): grpc.ClientDuplexStream<Buffer, Buffer>;
};
const Client = grpc.makeGenericClientConstructor(def, 'Named');

/** Every call's deadline: a call that hangs fails with DEADLINE_EXCEEDED instead of hanging the test. */
export const within = (): grpc.CallOptions => ({ deadline: Date.now() + 20_000 });

/** A server that says its name in every reply: Say → "NAME:req" (or NOT_FOUND with metadata for "fail"); Count "n" → n replies; Echo echoes until the client ends (ABORTED at "abort"). */
export async function namedServer(name: string, port: number, calls: Record<string, number>): Promise<grpc.Server> {
  const s = new grpc.Server();
  const trailer = (k: string, v: string) => { const m = new grpc.Metadata(); m.set(k, v); return m; };
  s.addService(def, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls[name] = (calls[name] ?? 0) + 1;
      const req = String(call.request);
      if (req === 'fail') cb({ code: grpc.status.NOT_FOUND, details: `${name} has no such thing`, metadata: trailer('x-why', `${name}-missing`) });
      else cb(null, str(`${name}:${req}`), trailer('x-server', name));
    },
    Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      calls[name] = (calls[name] ?? 0) + 1;
      const n = Number(String(call.request));
      for (let i = 0; i < n; i++) call.write(str(`${name}:${i}:${'x'.repeat(1000)}`));
      call.end(trailer('x-count', String(n)));
    },
    Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      calls[name] = (calls[name] ?? 0) + 1;
      call.on('data', (m: Buffer) => {
        if (String(m) === 'abort') { call.emit('error', { code: grpc.status.ABORTED, details: 'asked to abort', metadata: trailer('x-why', `${name}-abort`) }); return; }
        call.write(str(`${name}:${m}`));
      });
      call.on('end', () => call.end(trailer('x-server', name)));
    },
  });
  await new Promise<void>((resolve, reject) => s.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  return s;
}

/** A client of its own channel (one HTTP/2 connection) to 127.0.0.1:`port`. */
export function namedClient(port: number): NamedClient {
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as NamedClient;
}

/** One unary call: [status code, reply or details, trailing metadata's x-why or x-server]. */
export const say = (c: NamedClient, msg: string) => new Promise<[number, string, string]>((resolve) => {
  let reply = '';
  // The status (with the trailing metadata) comes after the callback: the answer is complete then.
  const call = c.Say(str(msg), within(), (e, r) => { reply = e ? e.details : String(r ?? ''); });
  call.on('status', (s: grpc.StatusObject) => resolve([s.code, reply, String(s.metadata.get('x-server')[0] ?? s.metadata.get('x-why')[0] ?? '')]));
});

/** `n` unary calls in sequence on `c`; each reply checked to echo its message; the servers that answered, in order. */
export async function sayMany(c: NamedClient, n: number, before?: (i: number) => Promise<void>): Promise<string[]> {
  const who: string[] = [];
  for (let i = 0; i < n; i++) {
    await before?.(i);
    const [code, reply, server] = await say(c, `m${i}`);
    assert.is(code, 0, `call ${i}: ${reply}`);
    const m = /^(s[12]):m(\d+)$/.exec(reply);
    assert.ok(m && Number(m[2]) === i, `call ${i} replied ${reply}`);
    assert.is(server, m![1], 'the trailing metadata comes from the server that answered');
    who.push(m![1]);
  }
  return who;
}
export const tally = (who: string[]) => who.reduce<Record<string, number>>((t, w) => { t[w] = (t[w] ?? 0) + 1; return t; }, {});

