// A new RSA key pair made in the page: the public half goes to dcmgr, the
// private half is offered once as a download and then dropped, so the
// server never sees it (dcmgr's own generation, kept for the original's
// API, sends one over the wire).

/** The private key as a PKCS#8 PEM file, which mussel, ssh and this GUI read. */
function pem(der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN PRIVATE KEY-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

const fromB64url = (s: string) =>
  Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** SSH wire format: a length-prefixed string, and a positive mpint (a leading 0 when the top bit is set). */
function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}
const mpint = (b: Uint8Array) => sshString(b[0]! & 0x80 ? Uint8Array.from([0, ...b]) : b);

export function openSshPublicKey(n: Uint8Array, e: Uint8Array, comment: string): string {
  const blob = [sshString(new TextEncoder().encode("ssh-rsa")), mpint(e), mpint(n)];
  const all = Uint8Array.from(blob.flatMap((p) => [...p]));
  return `ssh-rsa ${btoa(String.fromCharCode(...all))} ${comment}`;
}

export async function generateRsaKeyPair(
  comment: string,
  bits = 3072,
): Promise<{ publicKey: string; privatePem: string }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    publicKey: openSshPublicKey(fromB64url(jwk.n!), fromB64url(jwk.e!), comment),
    privatePem: pem(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
  };
}
