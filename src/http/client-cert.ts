import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { WebTls } from '../config/web-tls.js';

/**
 * exporter-toolkit's client certificate policies that node:tls does not enforce by itself: with
 * requestCert and rejectUnauthorized false it asks for a certificate and lets us decide. Returns
 * why the connection must be closed, or null.
 */
export function clientCertProblem(socket: TLSSocket, tls: WebTls): string | null {
  const cert = socket.getPeerX509Certificate?.();
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
    case 'RequireClientCert':
      if (!cert) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (cert && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
      break;
    default:
      break;
  }
  if (tls.allowedSans && !(cert && hasAllowedSan(cert, tls.allowedSans))) return 'client certificate has none of the allowed SANs';
  return null;
}

function hasAllowedSan(cert: X509Certificate, allowed: readonly string[]): boolean {
  // "DNS:a.example, IP Address:10.0.0.1, email:x@y, URI:spiffe://..." (values with commas are quoted; rare in SANs).
  const names = (cert.subjectAltName ?? '').split(/,\s*/).map((entry) => entry.slice(entry.indexOf(':') + 1));
  return names.some((name) => allowed.includes(name));
}
