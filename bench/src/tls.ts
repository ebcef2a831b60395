import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A key and a self-signed certificate for 127.0.0.1, and the file the certificate is in. */
export interface LoopbackCert {
  key: Buffer;
  cert: Buffer;
  /** PEM file to hand the server as NODE_EXTRA_CA_CERTS, so that it trusts the receiver. */
  certFile: string;
}

/**
 * Makes a one-day certificate for 127.0.0.1 in `dir` with the openssl command. The server
 * runs as in production, where webhooks go to https URLs only: the receiver must speak TLS,
 * and Node has no API that makes certificates.
 */
export function loopbackCert(dir: string): LoopbackCert {
  const keyFile = join(dir, 'receiver-key.pem');
  const certFile = join(dir, 'receiver-cert.pem');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ];
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    throw new Error(`the webhook receiver needs a certificate: \`openssl req\` failed: ${detail}`);
  }
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}
