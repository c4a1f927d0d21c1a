// OVMF's variable store (edk2's authenticated variable format, as Debian's
// OVMF_VARS_4M.fd holds it), read and written without a VM: Secure Boot keys
// (PK, KEK, db, dbx) enrolled into an instance's store before its first boot,
// as virt-fw-vars does. Pure: bytes in, bytes out. The firmware volume header,
// the event log and the fault-tolerant-write areas are the template's, kept
// byte for byte (OVMF erases a store whose header it does not trust); only
// the variables between 0x64 and 0x40000 are written.

/** Where the variables are in a 4 MiB OVMF store: after the volume and store headers, up to the event log. */
const firstVariable = 0x64;
const storeEnd = 0x40000;
const headerSize = 60;
/** OVMF 4M's largest variable (PcdMaxAuthVariableSize): one larger cannot be read back. */
const maxVariableSize = 0x8400;

export const guids = {
  /** PK, KEK */
  globalVariable: "8be4df61-93ca-11d2-aa0d-00e098032b8c",
  /** db, dbx */
  imageSecurityDatabase: "d719b2cb-3d3a-4596-a3bc-dad00e67656f",
  secureBootEnableDisable: "f0a30bc7-af08-4556-99c4-001009c93a44",
  customModeEnable: "c076ec0c-7028-4399-a072-71ee5c448b9f",
  certX509: "a5c059a1-94e4-4aa7-87b5-ab155c2bf072",
  certSha256: "c1c41626-504c-4092-aca9-41f936934328",
  systemNvDataFv: "fff12b8d-7696-4c8b-a985-2747075b4f50",
  authenticatedVariable: "aaf32c78-947b-439a-a180-2e144ec37792",
} as const;

/** Non-volatile, boot and runtime access, time-based authenticated writes: what PK, KEK, db and dbx must carry. */
export const authenticatedAttributes = 0x27;
/** Non-volatile, boot access: SecureBootEnable, CustomMode. */
export const plainAttributes = 0x03;

export interface UefiVariable {
  name: string;
  /** The vendor GUID, as text. */
  guid: string;
  attributes: number;
  data: Buffer;
}

export class VariableStoreError extends Error {}

/** A GUID's bytes as UEFI stores them: its first three fields little-endian, the last eight as written. */
export function guidBytes(text: string): Buffer {
  const hex = text.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new VariableStoreError(`'${text}' is not a GUID`);
  const b = Buffer.from(hex, "hex");
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

export function guidText(bytes: Buffer): string {
  const hex = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8, 16),
  ]).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An EFI_SIGNATURE_LIST of one X.509 certificate (DER), as db, KEK and PK hold them. */
export function x509SignatureList(der: Buffer, owner: string): Buffer {
  const header = Buffer.alloc(28);
  guidBytes(guids.certX509).copy(header, 0);
  header.writeUInt32LE(28 + 16 + der.length, 16);
  header.writeUInt32LE(0, 20);
  header.writeUInt32LE(16 + der.length, 24);
  return Buffer.concat([header, guidBytes(owner), der]);
}

/** An EFI_SIGNATURE_LIST of SHA-256 hashes, as dbx holds them. */
export function sha256SignatureList(hashes: readonly Buffer[], owner: string): Buffer {
  const header = Buffer.alloc(28);
  guidBytes(guids.certSha256).copy(header, 0);
  header.writeUInt32LE(28 + 48 * hashes.length, 16);
  header.writeUInt32LE(0, 20);
  header.writeUInt32LE(48, 24);
  return Buffer.concat([header, ...hashes.flatMap((h) => [guidBytes(owner), h])]);
}

function checkTemplate(template: Buffer): void {
  const fvh = template.subarray(0x28, 0x2c).toString("latin1");
  if (
    template.length < storeEnd ||
    fvh !== "_FVH" ||
    guidText(template.subarray(0x10, 0x20)) !== guids.systemNvDataFv
  )
    throw new VariableStoreError("not an OVMF variable store (no NV data firmware volume at its start)");
  if (guidText(template.subarray(0x48, 0x58)) !== guids.authenticatedVariable)
    throw new VariableStoreError("not an authenticated variable store (an OVMF built without Secure Boot?)");
  if (template.readUInt32LE(0x58) !== storeEnd - 0x48)
    throw new VariableStoreError(
      "not a 4 MiB OVMF variable store (OVMF_VARS_4M.fd): its variable area is another size",
    );
}

function variableBytes(v: UefiVariable): Buffer {
  const name = Buffer.from(`${v.name}\0`, "utf16le");
  const header = Buffer.alloc(headerSize);
  header.writeUInt16LE(0x55aa, 0);
  header.writeUInt8(0x3f, 2); // VAR_ADDED
  header.writeUInt32LE(v.attributes, 4);
  // MonotonicCount, TimeStamp and PubKeyIndex zero: the most permissive for a later signed update.
  header.writeUInt32LE(name.length, 0x24);
  header.writeUInt32LE(v.data.length, 0x28);
  guidBytes(v.guid).copy(header, 0x2c);
  const bytes = Buffer.concat([header, name, v.data]);
  if (bytes.length > maxVariableSize)
    throw new VariableStoreError(
      `${v.name} is ${bytes.length} bytes: OVMF reads back at most ${maxVariableSize}`,
    );
  const pad = (4 - (bytes.length % 4)) % 4;
  return Buffer.concat([bytes, Buffer.alloc(pad, 0xff)]);
}

/** `template` with its variables replaced by `variables`; everything else of it kept. */
export function writeVariableStore(template: Buffer, variables: readonly UefiVariable[]): Buffer {
  checkTemplate(template);
  const keys = variables.map((v) => `${v.guid.toLowerCase()}/${v.name}`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new VariableStoreError(`${twice} is given twice`);
  const body = Buffer.concat(variables.map(variableBytes));
  if (firstVariable + body.length > storeEnd)
    throw new VariableStoreError(
      `the variables take ${body.length} bytes: the store holds ${storeEnd - firstVariable}`,
    );
  const out = Buffer.from(template);
  out.fill(0xff, firstVariable, storeEnd);
  body.copy(out, firstVariable);
  return out;
}

/** The live variables of a store, in order (deleted ones left out). */
export function readVariables(store: Buffer): UefiVariable[] {
  checkTemplate(store);
  const found: UefiVariable[] = [];
  for (let at = firstVariable; at + headerSize <= storeEnd && store.readUInt16LE(at) === 0x55aa; ) {
    const nameSize = store.readUInt32LE(at + 0x24);
    const dataSize = store.readUInt32LE(at + 0x28);
    const end = at + headerSize + nameSize + dataSize;
    if (end > storeEnd)
      throw new VariableStoreError(`the variable at 0x${at.toString(16)} runs past the store`);
    if (store.readUInt8(at + 2) === 0x3f)
      found.push({
        name: store.subarray(at + headerSize, at + headerSize + nameSize - 2).toString("utf16le"),
        guid: guidText(store.subarray(at + 0x2c, at + 0x3c)),
        attributes: store.readUInt32LE(at + 4),
        data: Buffer.from(store.subarray(at + headerSize + nameSize, end)),
      });
    at = end + ((4 - (end % 4)) % 4);
  }
  return found;
}

export interface SecureBootKeys {
  /** The platform key's certificate (DER): whoever holds its private key may change KEK. */
  pk: Buffer;
  /** Key exchange keys (DER): Microsoft's KEK CAs, 2011 and 2023, and the operator's. */
  kek: readonly Buffer[];
  /** The signature database (DER): what signed boot loaders are trusted, e.g. Microsoft's Windows and UEFI CAs. */
  db: readonly Buffer[];
}

/** Who the entries say enrolled them: OVMF's EnrollDefaultKeys, as virt-fw-vars also writes. */
const enroller = "a0baa8a3-041d-48a8-bc87-c36d121b5e3d";
/** SHA-256 of nothing: dbx's usual only entry (a dbx that exists, forbidding nothing). */
const emptySha256 = Buffer.from("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "hex");

/** The variables that put Secure Boot on with these keys: PK, KEK, db, an empty dbx, SecureBootEnable, CustomMode off. */
export function secureBootVariables(keys: SecureBootKeys): UefiVariable[] {
  if (keys.kek.length === 0 || keys.db.length === 0)
    throw new VariableStoreError("Secure Boot needs at least one KEK and one db certificate");
  const lists = (ders: readonly Buffer[]) => Buffer.concat(ders.map((d) => x509SignatureList(d, enroller)));
  return [
    { name: "PK", guid: guids.globalVariable, attributes: authenticatedAttributes, data: lists([keys.pk]) },
    { name: "KEK", guid: guids.globalVariable, attributes: authenticatedAttributes, data: lists(keys.kek) },
    {
      name: "db",
      guid: guids.imageSecurityDatabase,
      attributes: authenticatedAttributes,
      data: lists(keys.db),
    },
    {
      name: "dbx",
      guid: guids.imageSecurityDatabase,
      attributes: authenticatedAttributes,
      data: sha256SignatureList([emptySha256], enroller),
    },
    {
      name: "SecureBootEnable",
      guid: guids.secureBootEnableDisable,
      attributes: plainAttributes,
      data: Buffer.from([1]),
    },
    { name: "CustomMode", guid: guids.customModeEnable, attributes: plainAttributes, data: Buffer.from([0]) },
  ];
}
