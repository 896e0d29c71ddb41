// PKI test helpers: CSRs svcnet must refuse (EC keys, small RSA keys), TLS probes of a link port,
// and a fake grant endpoint for man-in-the-middle tests. Keys are made at run time, never committed.
import forge from 'node-forge';
import crypto from 'node:crypto';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { loadSvcnetV1 } from '../../control/grpc-proto.js';

const { asn1, pki } = forge;

/** A valid PKCS#10 request for an EC P-256 key (forge cannot make one; built from ASN.1). */
export function ecCsr(commonName: string): string {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = asn1.fromDer(forge.util.createBuffer(publicKey.export({ type: 'spki', format: 'der' }).toString('binary')));
  const subject = pki.distinguishedNameToAsn1({ attributes: [{ type: pki.oids.commonName, value: commonName, valueTagClass: asn1.Type.UTF8 }] } as never);
  const info = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(0).getBytes()),
    subject,
    spki,
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  ]);
  const infoDer = Buffer.from(asn1.toDer(info).getBytes(), 'binary');
  const sig = crypto.sign('sha256', infoDer, privateKey);
  const csr = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    info,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer('1.2.840.10045.4.3.2').getBytes())]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + sig.toString('binary')),
  ]);
  const b64 = Buffer.from(asn1.toDer(csr).getBytes(), 'binary').toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** An RSA CSR with a key of `bits` (e.g. 1024, too small). */
export function rsaCsr(commonName: string, bits: number): { key: string; csr: string } {
  const kp = pki.rsa.generateKeyPair({ bits, workers: -1 });
  const csr = pki.createCertificationRequest();
  csr.publicKey = kp.publicKey;
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(kp.privateKey, forge.md.sha256.create());
  return { key: pki.privateKeyToPem(kp.privateKey), csr: pki.certificationRequestToPem(csr) };
}

/** Connects to a link port with `opts`; "data" means the site spoke (link accepted), anything else is a refusal. */
export function probeLink(port: number, opts: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...opts });
    const done = (r: string) => { s.destroy(); resolve(r); };
    s.on('data', () => done('data'));
    s.on('error', (e) => done(`error: ${e.message}`));
    s.on('close', () => done('closed'));
    setTimeout(() => done('timeout'), 5000).unref();
  });
}

/** A GrantService impostor on `port` with a certificate from another CA; counts the calls it got. */
export async function fakeGrantServer(port: number, pair: { key: string; cert: string }): Promise<{ calls: number; server: grpc.Server }> {
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const server = new grpc.Server();
  const state = { calls: 0, server };
  const handler = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => { state.calls++; cb({ code: grpc.status.INTERNAL, details: 'impostor' }); };
  server.addService((v1.GrantService as grpc.ServiceClientConstructor).service, { Redeem: handler, Renew: handler });
  const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(pair.key), cert_chain: Buffer.from(pair.cert) }], false);
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, creds, (err) => (err ? reject(err) : resolve())));
  return state;
}
