// Deleting images and backup objects through the API, on every store backend:
// only the owner's, refused with the reason while something still uses them
// (a live instance an image, an image a backup object), the stored file
// removed with its backup object (a file:// storage, and an HTTP one that
// takes or refuses the DELETE), and nothing changed by a refusal.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { addAccount, blankBackupObject, launchInstance, startApi, type TestApi } from "../helpers/api.js";
import { backends, backupObjectRow, imageRow } from "../helpers/stores.js";

/** A real HTTP backup storage: it says what DELETEs it got, and takes them or answers `refuse`. */
function httpStorage() {
  const deleted: string[] = [];
  const state = { refuse: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === "DELETE") {
      deleted.push(req.url ?? "");
      res.statusCode = state.refuse || 204;
    } else res.statusCode = 405;
    res.end();
  });
  return { server, deleted, state };
}

for (const backend of backends) {
  describe(`deleting on ${backend}`, () => {
    let api: TestApi;
    const storage = httpStorage();
    before(async () => {
      api = await startApi(backend);
      await addAccount(api.store, "a-other");
      await blankBackupObject(api, "bo-mine", 4096);
      await api.store.db
        .insertInto("images")
        .values(imageRow({ id: "wmi-mine", backup_object_id: "bo-mine" }))
        .execute();
      await new Promise<void>((done) => storage.server.listen(0, "127.0.0.1", done));
      const port = (storage.server.address() as AddressInfo).port;
      const stamp = new Date().toISOString();
      await api.store.db
        .insertInto("backup_storages")
        .values({
          id: "bkst-http",
          display_name: null,
          node_id: null,
          base_uri: `http://127.0.0.1:${port}/images/`,
          storage_type: "webdav",
          description: null,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
      await api.store.db
        .insertInto("backup_objects")
        .values(
          backupObjectRow({
            id: "bo-remote",
            backup_storage_id: "bkst-http",
            object_key: "remote.raw",
            size: 1,
            checksum: "0".repeat(32),
          }),
        )
        .execute();
    });
    after(async () => {
      storage.server.close();
      await api.close();
    });

    const stored = () => join(api.t.home, "images", "bo-mine.raw");
    const rowOf = (table: "images" | "backup_objects", id: string) =>
      api.store.db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst();

    test("an image a live instance runs from, or a backup object an image is made from, is kept with the reason", async () => {
      const id = await launchInstance(api, "wmi-mine");
      const image = await api.req("DELETE", "/images/wmi-mine.json");
      assert.equal(image.status, 409, image.text);
      assert.equal(image.body.error, "Dcmgr::Endpoints::Errors::ExistsRegisteredInstance");
      assert.equal(
        image.body.message,
        `wmi-mine is still in use: instance ${id} runs from it: terminate the instance first`,
      );
      const object = await api.req("DELETE", "/backup_objects/bo-mine.json");
      assert.equal(object.status, 409, object.text);
      assert.equal(
        object.body.message,
        "bo-mine is still in use: image wmi-mine is made from it: delete the image first (DELETE /images/wmi-mine)",
      );
      assert.ok(await rowOf("images", "wmi-mine"));
      assert.ok(await rowOf("backup_objects", "bo-mine"));
      assert.ok(existsSync(stored()), "the stored file is untouched");
      // Terminated (no host has taken it yet, so at once), the instance no longer holds the image.
      assert.equal((await api.req("DELETE", `/instances/${id}.json`)).status, 200);
      assert.equal((await api.req("GET", `/instances/${id}.json`)).body.state, "terminated");
    });

    test("only the owner deletes: another account's public image is refused, its private one does not exist for others", async () => {
      const publicOne = await api.req("DELETE", "/images/wmi-windows2008r2.json", { account: "a-other" });
      assert.equal(publicOne.status, 403, publicOne.text);
      assert.equal(
        publicOne.body.message,
        "wmi-windows2008r2 is another account's public image: only its owner can delete it",
      );
      const privateOne = await api.req("DELETE", "/images/wmi-mine.json", { account: "a-other" });
      assert.equal(privateOne.status, 404, privateOne.text);
      assert.equal(privateOne.body.message, "wmi-mine does not exist");
      const object = await api.req("DELETE", "/backup_objects/bo-mine.json", { account: "a-other" });
      assert.equal(object.status, 404, object.text);
      assert.ok(await rowOf("images", "wmi-mine"));
      assert.ok(existsSync(stored()));
    });

    test("the image, then its backup object with its stored file", async () => {
      const image = await api.req("DELETE", "/images/wmi-mine.json");
      assert.equal(image.status, 200, image.text);
      assert.deepEqual(image.body, ["wmi-mine"]);
      assert.equal((await api.req("GET", "/images/wmi-mine.json")).status, 404);
      assert.ok(existsSync(stored()), "deleting the image leaves its backup object");
      const object = await api.req("DELETE", "/backup_objects/bo-mine.json");
      assert.equal(object.status, 200, object.text);
      assert.equal((await api.req("GET", "/backup_objects/bo-mine.json")).status, 404);
      assert.equal(existsSync(stored()), false, "the stored file is gone");
      assert.equal((await api.req("DELETE", "/backup_objects/bo-mine.json")).status, 404);
    });

    test("on an HTTP storage: a refused DELETE keeps the backup object; a taken one removes it", async () => {
      storage.state.refuse = 403;
      const refused = await api.req("DELETE", "/backup_objects/bo-remote.json");
      assert.equal(refused.status, 500, refused.text);
      assert.match(
        refused.body.message,
        /^bo-remote is kept: its stored file could not be removed \(the backup storage answered HTTP 403 to DELETE http:\/\/127\.0\.0\.1:\d+\/images\/remote\.raw\)$/,
      );
      assert.ok(await rowOf("backup_objects", "bo-remote"), "the record is kept");
      storage.state.refuse = 0;
      const taken = await api.req("DELETE", "/backup_objects/bo-remote.json");
      assert.equal(taken.status, 200, taken.text);
      assert.deepEqual(storage.deleted, ["/images/remote.raw", "/images/remote.raw"]);
      assert.equal(await rowOf("backup_objects", "bo-remote"), undefined);
    });
  });
}
