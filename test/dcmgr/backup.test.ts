// Backups through the API, on every store backend, with the host agent's side
// played by its API calls: PUT /instances/:id/backup answers the original's
// v12.03 shape and makes a creating image and a pending backup object; the
// host's state carries the backup to its agent; the agent's reports move it
// to available (or failed, with the reason); bad requests are refused with
// the reason and write nothing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { addAccount, addHostNode, startWindowsApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("backup-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);

for (const backend of backends) {
  describe(`backups on ${backend}`, () => {
    let api: TestApi;
    let keyId: string;
    let agentToken: string;
    before(async () => {
      ({ api, agentToken, keyId } = await startWindowsApi(backend, join(keys, "rsa.pub")));
      await addAccount(api.store, "a-other");
      await addHostNode(api.store, "hn-other", "hva.other");
    });
    after(() => api.close());

    /** A Windows instance (the seed's image) its agent has brought to `state`. */
    async function instanceIn(state: "running" | "halted" | "terminated", image = "wmi-windows2008r2") {
      const r = await api.req("POST", "/instances.json", {
        form: { image_id: image, instance_spec_name: "kvm.small", ssh_key_id: keyId },
      });
      assert.equal(r.status, 200, r.text);
      const id: string = r.body.id;
      const taken = await api.report(agentToken, id, "state", { state });
      assert.equal(taken.status, 200, taken.text);
      return id;
    }
    const backup = (id: string, form: Record<string, string> = {}, account?: string) =>
      api.req("PUT", `/instances/${id}/backup.json`, { form, ...(account && { account }) });
    const wantedBackup = async (id: string) => {
      const state = await api.agent(agentToken, "GET", "/state");
      return (state.body.instances as { id: string; backup: unknown }[]).find((w) => w.id === id)?.backup;
    };
    const say = (bo: string, json: Record<string, unknown>, token = agentToken) =>
      api.agent(token, "PUT", `/backup_objects/${bo}`, json);

    test("a halted instance becomes a new image: creating, then available with its object's size and md5", async () => {
      const id = await instanceIn("halted");
      const r = await backup(id, { display_name: "my server", description: "after updates" });
      assert.equal(r.status, 200, r.text);
      const { backup_object_id: bo, image_id: image } = r.body;
      assert.deepEqual(r.body, {
        instance_id: id,
        backup_object_id: bo,
        image_id: image,
        backup_object_ids: [bo],
      });

      const made = (await api.req("GET", `/images/${image}.json`)).body;
      assert.equal(made.state, "creating");
      assert.equal(made.progress, 0);
      assert.equal(made.generalized, false, "not generalized: it boots as its source was");
      assert.equal(made.os_type, "windows", "the image keeps its source's os_type");
      assert.deepEqual(made.features, { virtio: true });
      assert.equal(made.display_name, "my server");
      assert.equal(made.is_public, false);
      assert.equal(made.file_format, "raw");

      assert.deepEqual(await wantedBackup(id), {
        backup_object_id: bo,
        image_id: image,
        state: "pending",
        generalize: false,
        storage_uri: `file://${join(api.t.home, "images")}/`,
        object_key: `${bo}.raw.tar.gz`,
      });

      assert.equal((await say(bo, { state: "creating", progress: 40 })).status, 200);
      assert.equal((await api.req("GET", `/images/${image}.json`)).body.progress, 40);
      const shown = (await api.req("GET", `/instances/${id}.json`)).body.backup;
      assert.deepEqual(shown, {
        backup_object_id: bo,
        image_id: image,
        state: "creating",
        progress: 40,
        error: null,
      });

      const deleting = await api.req("DELETE", `/images/${image}.json`);
      assert.equal(deleting.status, 409, "an image being written is not deleted under its agent");
      assert.match(
        deleting.body.message,
        /its backup is still being written: delete it once it is available or failed/,
      );

      const incomplete = await say(bo, { state: "available", size: 1 << 30 });
      assert.equal(incomplete.status, 400, incomplete.text);
      assert.equal(incomplete.body.field, "allocation_size");
      const done = await say(bo, {
        state: "available",
        progress: 100,
        size: 1 << 30,
        allocation_size: 12345,
        checksum: "0123456789abcdef0123456789abcdef",
      });
      assert.equal(done.status, 200, done.text);
      const available = (await api.req("GET", `/images/${image}.json`)).body;
      assert.equal(available.state, "available");
      assert.equal(available.progress, null);
      assert.equal(available.size, 1 << 30);
      assert.equal(available.allocation_size, 12345);
      const object = (await api.req("GET", `/backup_objects/${bo}.json`)).body;
      assert.equal(object.checksum, "0123456789abcdef0123456789abcdef");
      assert.equal(object.source_instance_id, id);
      assert.equal(await wantedBackup(id), null, "the agent is asked no more");
      const late = await say(bo, { state: "creating", progress: 95 });
      assert.equal(late.status, 409, "an ended backup takes no more reports");

      // The new image launches; with no first boot, its password is its source's, and the API says so.
      const launched = await instanceIn("running", image);
      const pw = await api.req("GET", `/instances/${launched}/password.json`);
      assert.equal(pw.status, 404);
      assert.equal(
        pw.body.message,
        `no encrypted password for ${launched}: its image ${image} was backed up without generalizing, so it has no first boot: its Administrator password is the one ${id} had`,
      );
      const wanted = await api.agent(agentToken, "GET", "/state");
      const w = (wanted.body.instances as { id: string; image: { generalized: boolean } }[]).find(
        (x) => x.id === launched,
      )!;
      assert.equal(w.image.generalized, false, "its agent writes no first-boot");
    });

    test("generalize=true on a running Windows instance: it goes halting, its old password is forgotten, the image is generalized", async () => {
      const id = await instanceIn("running");
      await api.agent(agentToken, "PUT", `/instances/${id}/password`, {
        revision: (await api.agent(agentToken, "GET", "/instances")).body.find(
          (w: { id: string }) => w.id === id,
        ).revision,
        encrypted_password: Buffer.alloc(256, 1).toString("base64"),
      });
      assert.equal((await api.req("GET", `/instances/${id}/password.json`)).status, 200);
      const r = await backup(id, { generalize: "true", is_public: "true" });
      assert.equal(r.status, 200, r.text);
      const instance = (await api.req("GET", `/instances/${id}.json`)).body;
      assert.equal(instance.state, "halting");
      assert.equal(instance.password_ready, true, "kept until its guest has generalized");
      const image = (await api.req("GET", `/images/${r.body.image_id}.json`)).body;
      assert.equal(image.generalized, true);
      assert.equal(image.is_public, true);
      assert.equal(((await wantedBackup(id)) as { generalize: boolean }).generalize, true);

      // Failed: the reason on the image; the instance can be backed up again.
      await api.report(agentToken, id, "state", { state: "halted" });
      // Progress never goes back, whatever order the agent's reports arrive in.
      await say(r.body.backup_object_id, { state: "creating", progress: 30 });
      await say(r.body.backup_object_id, { state: "creating", progress: 20 });
      assert.equal((await api.req("GET", `/images/${r.body.image_id}.json`)).body.progress, 30);
      const failed = await say(r.body.backup_object_id, {
        state: "failed",
        error: "No space left on device",
        generalized: true,
      });
      assert.equal(failed.status, 200, failed.text);
      assert.equal(
        (await api.req("GET", `/instances/${id}.json`)).body.password_ready,
        false,
        "its guest generalized: the old password is forgotten",
      );
      const shown = (await api.req("GET", `/images/${r.body.image_id}.json`)).body;
      assert.equal(shown.state, "failed");
      assert.equal(shown.error, "No space left on device");
      const launch = await api.req("POST", "/instances.json", {
        form: { image_id: r.body.image_id, instance_spec_name: "kvm.small", ssh_key_id: keyId },
      });
      assert.equal(launch.status, 400, launch.text);
      assert.equal(launch.body.field, "image_id");
      assert.match(launch.body.message, /is failed: only an available image launches/);
      const again = await backup(id, { generalize: "true" });
      assert.equal(again.status, 200, again.text);
    });

    test("refused with the reason, nothing written: running or terminated without generalize, another account's, Linux generalized, twice at once", async () => {
      const running = await instanceIn("running");
      const terminated = await instanceIn("terminated");
      const halted = await instanceIn("halted");
      const linux = await (async () => {
        const r = await api.req("POST", "/instances.json", {
          form: { image_id: "wmi-linux", instance_spec_name: "kvm.small" },
        });
        await api.report(agentToken, r.body.id, "state", { state: "halted" });
        return r.body.id as string;
      })();
      const poweringOn = await instanceIn("halted");
      assert.equal((await api.req("PUT", `/instances/${poweringOn}/poweron.json`)).status, 200);
      const before = await api.t.snapshot();
      const cases: [
        string,
        Promise<{ status: number; body: { message: string; field?: string } }>,
        number,
        RegExp,
      ][] = [
        [
          "running",
          backup(running),
          409,
          /is running: a backup needs it halted: power it off first, or ask generalize=true/,
        ],
        [
          "terminated",
          backup(terminated, { generalize: "true" }),
          409,
          /is terminated: nothing is left of it to back up/,
        ],
        ["another account's", backup(halted, {}, "a-other"), 404, /does not exist/],
        [
          "Linux generalized",
          backup(linux, { generalize: "true" }),
          400,
          /is not a Windows instance: only Windows is generalized/,
        ],
        ["a bad flag", backup(halted, { generalize: "maybe" }), 400, /'maybe' is not true or false/],
        [
          "public as it was",
          backup(halted, { is_public: "true" }),
          400,
          /only a generalized one \(generalize=true\) can be public/,
        ],
        [
          "a power-on under way",
          backup(poweringOn),
          409,
          /has a poweron under way: ask for the backup once it is done/,
        ],
      ];
      for (const [name, answer, status, message] of cases) {
        const r = await answer;
        assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.message, message, name);
      }
      assert.equal(await api.t.snapshot(), before, "nothing was written");

      // Two at once: one is taken, the other refused; then a third finds it under way.
      const both = await Promise.all([backup(halted), backup(halted)]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 409], JSON.stringify(both.map((r) => r.body)));
      const third = await backup(halted);
      assert.equal(third.status, 409);
      assert.match(
        third.body.message,
        /is being backed up already \(bo-\w+\): wait until its image is available or failed/,
      );
      const made = await api.store.db
        .selectFrom("backup_objects")
        .select("id")
        .where("source_instance_id", "=", halted)
        .execute();
      assert.equal(made.length, 1, "one backup object, not two");

      // While it is under way, the instance is its backup's: no power-on.
      const poweron = await api.req("PUT", `/instances/${halted}/poweron.json`);
      assert.equal(poweron.status, 409);
      assert.match(
        poweron.body.message,
        /is being backed up \(bo-\w+\): poweron waits until its image is available or failed/,
      );

      // Only its own host's agent reports on it.
      const bo = made[0]!.id;
      const otherHost = await say(
        bo,
        { state: "creating", progress: 5 },
        await api.token("host_node", "hn-other"),
      );
      assert.equal(otherHost.status, 404, otherHost.text);

      // Terminated, it takes its backup with it: failed, and its agent's last word refused (it removes what it stored).
      assert.equal((await api.req("DELETE", `/instances/${halted}.json`)).status, 200);
      const ended = (await api.req("GET", `/backup_objects/${bo}.json`)).body;
      assert.equal(ended.state, "failed");
      assert.equal(ended.error, "its instance was terminated while it was backed up");
      const last = await say(bo, {
        state: "available",
        size: 1,
        allocation_size: 1,
        checksum: "0123456789abcdef0123456789abcdef",
      });
      assert.equal(last.status, 409, last.text);
    });
  });
}
