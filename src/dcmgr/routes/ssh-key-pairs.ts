// /ssh_key_pairs: import a user's OpenSSH public key, or make an RSA pair and
// hand the private key over once, never storing it.
import { generateKeyPairSync } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { flagField, textField } from "../../model/fields.js";
import { givenFields } from "../../model/shape.js";
import { parseSshPublicKey, rsaPublicKeyToOpenSsh, SshKeyError } from "../../model/ssh-public-key.js";
import { freshUuid } from "../../store/fresh-uuid.js";
import { sshKeyPairRecord } from "../../store/records.js";
import type { Store } from "../../store/store.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { displayFields, idParams, now, owned } from "./common.js";

const createShape = {
  ...displayFields,
  public_key: { field: textField({ max: 16384, lines: true }), desc: "OpenSSH public key, one line" },
  download_once: {
    field: flagField,
    desc: "accepted for compatibility: a generated private key is always returned once",
  },
};

export function sshKeyPairRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  const params = idParams("sshKeyPair");

  api.get("/ssh_key_pairs", { schema: { querystring: pageShape } }, async (req) => {
    const q = store.db
      .selectFrom("ssh_key_pairs")
      .selectAll()
      .where("account_id", "=", req.accountId)
      .orderBy("created_at")
      .orderBy("id");
    return pageOf(q, req.query.start!, req.query.limit!, (rows) => rows.map(sshKeyPairRecord));
  });

  api.get("/ssh_key_pairs/:id", { schema: { params } }, async (req) =>
    sshKeyPairRecord(
      await owned(store.db, "ssh_key_pairs", req.params.id!, req.accountId, errors.unknownSshKeyPair),
    ),
  );

  api.post("/ssh_key_pairs", { schema: { body: createShape } }, async (req) => {
    const id = await freshUuid(store.db, "ssh_key_pairs", "sshKeyPair");
    let publicKey = req.body.public_key;
    let privateKey: string | undefined;
    if (publicKey === undefined) {
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      publicKey = rsaPublicKeyToOpenSsh(pair.publicKey, id);
      privateKey = pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    }
    let key: ReturnType<typeof parseSshPublicKey>;
    try {
      key = parseSshPublicKey(publicKey);
    } catch (err) {
      if (err instanceof SshKeyError) throw errors.invalidSshPublicKey(`public_key: ${err.message}`);
      throw err;
    }
    const stamp = now();
    const row = {
      id,
      account_id: req.accountId,
      display_name: req.body.display_name ?? null,
      description: req.body.description ?? null,
      public_key: key.line,
      fingerprint: key.fingerprint,
      key_type: key.type,
      key_bits: key.bits,
      created_at: stamp,
      updated_at: stamp,
    };
    await store.db.insertInto("ssh_key_pairs").values(row).execute();
    return privateKey ? { ...sshKeyPairRecord(row), private_key: privateKey } : sshKeyPairRecord(row);
  });

  api.put("/ssh_key_pairs/:id", { schema: { params, body: displayFields } }, async (req) => {
    await owned(store.db, "ssh_key_pairs", req.params.id!, req.accountId, errors.unknownSshKeyPair);
    await store.db
      .updateTable("ssh_key_pairs")
      .set({ ...givenFields(req.body), updated_at: now() })
      .where("id", "=", req.params.id!)
      .execute();
    return sshKeyPairRecord(
      await owned(store.db, "ssh_key_pairs", req.params.id!, req.accountId, errors.unknownSshKeyPair),
    );
  });

  api.delete("/ssh_key_pairs/:id", { schema: { params } }, async (req) => {
    await owned(store.db, "ssh_key_pairs", req.params.id!, req.accountId, errors.unknownSshKeyPair);
    await store.db.deleteFrom("ssh_key_pairs").where("id", "=", req.params.id!).execute();
    return [req.params.id];
  });
}
