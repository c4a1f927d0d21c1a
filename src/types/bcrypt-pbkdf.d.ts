// The one function of bcrypt-pbkdf (OpenSSH's key derivation) that we call.
declare module "bcrypt-pbkdf" {
  const bcryptPbkdf: {
    pbkdf(
      pass: Uint8Array,
      passlen: number,
      salt: Uint8Array,
      saltlen: number,
      key: Uint8Array,
      keylen: number,
      rounds: number,
    ): number;
  };
  export default bcryptPbkdf;
}
