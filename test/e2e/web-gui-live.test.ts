// The web GUI's live page in a real browser, without VMs: the host agent's
// reports (made through the agent API as hva makes them) reach an open
// Instances page within a second, and a dcmgr restart with a change made
// while it was down loses nothing: the page reconnects and resumes after
// the last event it had, without a reload. A backup asked in the page (the
// Create image dialog) shows its progress on the instance as the agent
// reports it, and the Images page follows the new image until available. A
// move asked in the page (the Move dialog) shows its progress and its end.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { changeInstance } from "../../src/dcmgr/instance-change.js";
import { addHostNode, blankBackupObject, launchInstance, startApi, type TestApi } from "../helpers/api.js";
import {
  eventually,
  launchBrowser,
  type RecordedPage,
  recordedPage,
  settledText,
  withoutChromium,
} from "../helpers/browser.js";
import { tempDir } from "../helpers/paths.js";
import { imageRow } from "../helpers/stores.js";

const keys = tempDir("gui-live");
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);
// The suites below all use the key: it goes once they have all run.
after(() => rmSync(keys, { recursive: true, force: true }));

describe("the Instances page, live", { skip: withoutChromium }, () => {
  let api: TestApi;
  let browser: Browser;
  let user: RecordedPage;
  let agentToken: string;
  let id = "";

  before(async () => {
    api = await startApi("sqlite");
    agentToken = await api.token("host_node", "hn-demo1");
    browser = await launchBrowser();
    user = await recordedPage(browser);
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  const stateCell = () => user.page.locator(`tr[data-instance="${id}"] [data-state]`);
  /** Milliseconds until the row shows `state`. */
  async function shows(state: string, timeout = 5000): Promise<number> {
    const t0 = Date.now();
    await user.page.locator(`tr[data-instance="${id}"] [data-state="${state}"]`).waitFor({ timeout });
    return Date.now() - t0;
  }

  test("a launch and the agent's reports appear on the open page within a second", async () => {
    const { page } = user;
    await page.goto(`${api.origin}/`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("status").filter({ hasText: "live" }).waitFor();
    await page.getByText("No instances yet").waitFor();
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const key = (
      await api.req("POST", "/ssh_key_pairs", {
        json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
      })
    ).body.id;
    const made = await api.req("POST", "/instances", {
      json: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: key },
    });
    id = made.body.id;
    assert.ok((await shows("pending")) < 1000);
    await api.report(agentToken, id, "state", { state: "initializing" });
    assert.ok((await shows("initializing")) < 1000);
  });

  test("dcmgr restarts, a change is made meanwhile: the page reconnects and shows it, without a reload", async () => {
    await api.restart(async () => {
      await user.page.getByRole("status").filter({ hasText: "reconnecting" }).waitFor();
      // The host agent's report lands in the store while no dcmgr serves the page (another dcmgr's, say).
      const row = await api.store.db
        .selectFrom("instances")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.notEqual(
        await changeInstance(api.store.db, id, row.revision, {
          state: "running",
          status: "online",
          updated_at: new Date().toISOString(),
        }),
        null,
      );
      assert.equal(
        await stateCell().getAttribute("data-state"),
        "initializing",
        "nothing reaches a page while dcmgr is down",
      );
    });
    await shows("running", 15_000);
    await user.page.getByRole("status").filter({ hasText: "live" }).waitFor();
    assert.ok(await user.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded));
    assert.deepEqual(user.errors, []);
  });
});

describe("the other pages", { skip: withoutChromium }, () => {
  test("security groups: each line checked as typed with the API's own message; images with sizes; hosts with their use", async () => {
    const api = await startApi("sqlite");
    const browser = await launchBrowser();
    try {
      const { page, errors } = await recordedPage(browser);
      await page.goto(`${api.origin}/#/security-groups`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "New group" }).click();
      const dialog = page.getByRole("dialog");
      const rules = dialog.getByLabel(/^Rules/);
      const bad = "tcp:3389,3389,ip4:0.0.0.0\ntcp:22,2,ip4:10.0.0.0/8\nudp:53,53,ip4:300.1.1.1";
      await rules.fill(bad);
      const said = await dialog.locator("#rule-problems li").allInnerTexts();
      const apiSays = await api.req("POST", "/security_groups", { json: { rule: bad } });
      assert.equal(apiSays.status, 400);
      assert.equal(said.length, 2, said.join("; "));
      assert.equal(said[0], apiSays.body.message, "the first problem in the API's words");
      assert.match(said[1]!, /^rule line 3 'udp:53,53,ip4:300.1.1.1': '300.1.1.1' is not an IPv4 address/);
      const save = dialog.getByRole("button", { name: "Save" });
      assert.ok(await eventually(() => save.isDisabled()));
      // What only the store knows comes back from the save.
      await rules.fill("tcp:22,22,sg-nosuch1");
      assert.ok(await eventually(() => save.isEnabled()));
      await save.click();
      assert.match(await dialog.getByRole("alert").innerText(), /sg-nosuch1/);
      await rules.fill("tcp:3389,3389,ip4:0.0.0.0");
      await dialog.getByLabel("Name").fill("rdp");
      await save.click();
      await page.getByRole("row").filter({ hasText: "rdp" }).waitFor();

      await page.getByRole("link", { name: "Images" }).click();
      const image = page.getByRole("row").filter({ hasText: "wmi-windows2008r2" });
      assert.match(await image.innerText(), /windows\s+virtio\s+BIOS\s+raw\s+30 GiB\s+2\.8 GiB/);
      await page.getByRole("link", { name: "Hosts" }).click();
      const host = page.getByRole("row").filter({ hasText: "hn-demo1" });
      assert.match(await host.innerText(), /0 of 100 \(0%\)[\s\S]*0 MiB of 10 GiB \(0%\)[\s\S]*enabled/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await api.close();
    }
  });
});

describe("creating an image in the page", { skip: withoutChromium }, () => {
  test("the dialog holds back what dcmgr refuses, in its words; the agent's progress shows on the instance; the Images page follows the image", async () => {
    const api = await startApi("sqlite");
    const browser = await launchBrowser();
    try {
      const agentToken = await api.token("host_node", "hn-demo1");
      const key = (
        await api.req("POST", "/ssh_key_pairs", {
          json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
        })
      ).body.id;
      const id = (
        await api.req("POST", "/instances", {
          json: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: key },
        })
      ).body.id as string;
      assert.equal((await api.report(agentToken, id, "state", { state: "running" })).status, 200);

      const { page, errors } = await recordedPage(browser);
      await page.goto(`${api.origin}/#/instances/${id}`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("status").filter({ hasText: "live" }).waitFor();
      await page.getByRole("button", { name: "Create image" }).click();
      const dialog = page.getByRole("dialog", { name: `Create image from ${id}` });
      const create = dialog.getByRole("button", { name: "Create image" });
      // Running and not generalized: the button waits, with the reason dcmgr gives.
      const refused = await api.req("PUT", `/instances/${id}/backup`, { json: {} });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(
        await settledText(dialog.locator("#backup-blocker"), refused.body.message),
        refused.body.message,
      );
      assert.ok(await create.isDisabled());
      await dialog.getByLabel("Name", { exact: true }).fill("web after updates");
      await dialog.getByLabel(/^Generalize \(sysprep\)/).check();
      assert.ok(await eventually(() => create.isEnabled()));
      await create.click();
      await dialog.waitFor({ state: "detached" });

      const asked = (await api.req("GET", `/instances/${id}`)).body.backup;
      assert.equal(asked.state, "pending");
      const note = page.locator("[data-backup]");
      const pending = `Creating image ${asked.image_id} … 0% (the guest generalizes and shuts down first)`;
      assert.equal(await settledText(note, pending), pending);
      const say = (json: Record<string, unknown>) =>
        api.agent(agentToken, "PUT", `/backup_objects/${asked.backup_object_id}`, json);
      assert.equal((await say({ state: "creating", progress: 40 })).status, 200);
      await page.getByText(`Creating image ${asked.image_id} … 40%`).waitFor({ timeout: 10_000 });

      await page.getByRole("link", { name: "Images" }).click();
      const row = page.getByRole("row").filter({ hasText: asked.image_id });
      const creating = /web after updates[\s\S]*yes: a new password at first boot\s+creating 40%/;
      assert.match(await settledText(row, creating), creating);
      // The page reads the list again while an image is creating: the agent's next words reach it.
      assert.equal(
        (
          await say({
            state: "available",
            progress: 100,
            size: 1 << 30,
            allocation_size: 12345,
            checksum: "0123456789abcdef0123456789abcdef",
          })
        ).status,
        200,
      );
      const available = /1\.0 GiB\s+12 KiB\s+yes: a new password at first boot\s+available/;
      assert.match(await settledText(row, available), available);

      // A failed backup: the instance's row says why.
      assert.equal((await api.report(agentToken, id, "state", { state: "halted" })).status, 200);
      const again = await api.req("PUT", `/instances/${id}/backup`, { json: {} });
      assert.equal(again.status, 200, again.text);
      assert.equal(
        (
          await api.agent(agentToken, "PUT", `/backup_objects/${again.body.backup_object_id}`, {
            state: "failed",
            error: "qemu-img convert: No space left on device",
          })
        ).status,
        200,
      );
      await page.getByRole("link", { name: "Instances" }).click();
      const failure = `Creating image ${again.body.image_id} failed: qemu-img convert: No space left on device`;
      const instanceRow = page.locator(`tr[data-instance="${id}"]`);
      const saysFailure = new RegExp(failure.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      assert.match(await settledText(instanceRow, saysFailure), saysFailure);
      assert.equal(await instanceRow.locator('[data-backup="failed"]').innerText(), failure);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await api.close();
    }
  });
});

describe("moving an instance in the page", { skip: withoutChromium }, () => {
  test("the dialog offers the other hosts; dcmgr's refusal shows in it; the move's progress and end show on the instance", async () => {
    const api = await startApi("sqlite");
    const browser = await launchBrowser();
    try {
      const demoToken = await api.token("host_node", "hn-demo1");
      // hn-b has room, hn-c takes instances but has none.
      await addHostNode(api.store, "hn-b", "hva.b", true);
      await addHostNode(api.store, "hn-c", "hva.c", true);
      await api.store.db
        .updateTable("host_nodes")
        .set({ offering_cpu_cores: 8, offering_memory_size: 8192 })
        .where("id", "=", "hn-b")
        .execute();
      const bToken = await api.token("host_node", "hn-b");
      const key = (
        await api.req("POST", "/ssh_key_pairs", {
          json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
        })
      ).body.id;
      const launched = await api.req("POST", "/instances", {
        json: {
          image_id: "wmi-windows2008r2",
          instance_spec_name: "kvm.small",
          ssh_key_id: key,
          host_node_id: "hn-demo1",
        },
      });
      assert.equal(launched.status, 200, launched.text);
      const id = launched.body.id as string;
      assert.equal((await api.report(demoToken, id, "state", { state: "running" })).status, 200);

      const { page, errors } = await recordedPage(browser);
      await page.goto(`${api.origin}/#/instances/${id}`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("status").filter({ hasText: "live" }).waitFor();
      await page.getByRole("button", { name: "Move" }).click();
      const dialog = page.getByRole("dialog", { name: `Move ${id}` });
      const to = dialog.getByLabel("To");
      await eventually(async () => (await to.locator("option").count()) === 3);
      assert.deepEqual(await to.locator("option").allInnerTexts(), [
        "the host the scheduler chooses",
        "hn-b",
        "hn-c",
      ]);
      // What only dcmgr knows (hn-c has no room) comes back in the dialog, in dcmgr's words.
      const refused = await api.req("PUT", `/instances/${id}/move`, { json: { host_node_id: "hn-c" } });
      assert.equal(refused.status, 503, refused.text);
      await to.selectOption("hn-c");
      await dialog.getByRole("button", { name: "Move" }).click();
      const alert = dialog.getByRole("alert");
      assert.equal(await settledText(alert, refused.body.message), refused.body.message);
      await to.selectOption("hn-b");
      await dialog.getByRole("button", { name: "Move" }).click();
      await dialog.waitFor({ state: "detached" });

      const note = page.locator("[data-move]");
      const preparing = "Moving to hn-b … 0% (its destination prepares)";
      assert.equal(await settledText(note, preparing), preparing);
      assert.equal(
        await page.getByRole("button", { name: "Move" }).count(),
        0,
        "no second move while it moves",
      );
      const move = (await api.req("GET", `/instances/${id}`)).body.move.move_id as string;
      const say = (token: string, json: Record<string, unknown>) =>
        api.agent(token, "PUT", `/moves/${move}`, json);
      assert.equal((await say(bToken, { state: "ready", address: "192.0.2.12", port: 1 })).status, 200);
      assert.equal((await say(demoToken, { state: "copying", progress: 40 })).status, 200);
      assert.equal(await settledText(note, "Moving to hn-b … 40%"), "Moving to hn-b … 40%");
      assert.equal((await say(demoToken, { state: "switching" })).status, 200);
      const switching = "Moving to hn-b … 99% (it switches over)";
      assert.equal(await settledText(note, switching), switching);
      assert.equal((await say(bToken, { state: "done" })).status, 200);
      assert.equal(await settledText(note, "Moved to hn-b"), "Moved to hn-b");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await api.close();
    }
  });
});

describe("deleting images in the page", { skip: withoutChromium }, () => {
  test("an image in use is kept with dcmgr's reason in the dialog; a free one goes, its backup object and stored file with it when asked", async () => {
    const api = await startApi("sqlite");
    const browser = await launchBrowser();
    try {
      await blankBackupObject(api, "bo-mine", 4096);
      await api.store.db
        .insertInto("images")
        .values(imageRow({ id: "wmi-mine", backup_object_id: "bo-mine" }))
        .execute();
      const instance = await launchInstance(api, "wmi-mine");
      const { page, errors } = await recordedPage(browser);
      await page.goto(`${api.origin}/#/images`);
      await page.getByRole("button", { name: "Sign in" }).click();
      const row = page.getByRole("row").filter({ hasText: "wmi-mine" });
      await row.getByRole("button", { name: "Delete" }).click();
      const dialog = page.getByRole("dialog", { name: "Delete wmi-mine?" });
      await dialog.getByLabel("Also delete its backup object bo-mine (the stored file)").check();
      await dialog.getByRole("button", { name: "Delete" }).click();
      assert.equal(
        await dialog.getByRole("alert").innerText(),
        `wmi-mine is still in use: instance ${instance} runs from it: terminate the instance first`,
      );
      assert.equal((await api.req("GET", "/images/wmi-mine.json")).status, 200, "kept");
      await dialog.getByRole("button", { name: "Cancel" }).click();

      assert.equal((await api.req("DELETE", `/instances/${instance}.json`)).status, 200);
      await row.getByRole("button", { name: "Delete" }).click();
      await dialog.getByLabel(/Also delete its backup object/).check();
      await dialog.getByRole("button", { name: "Delete" }).click();
      await row.waitFor({ state: "detached" });
      assert.equal((await api.req("GET", "/images/wmi-mine.json")).status, 404);
      assert.equal((await api.req("GET", "/backup_objects/bo-mine.json")).status, 404);
      assert.equal(existsSync(join(api.t.home, "images", "bo-mine.raw")), false, "the stored file is gone");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await api.close();
    }
  });
});

describe("signing in where dcmgr wants tokens", { skip: withoutChromium }, () => {
  test("the page asks for a token; an unknown one is refused with the API's message; a good one shows the account's instances", async () => {
    const api = await startApi("sqlite", { requireTokens: true });
    const browser = await launchBrowser();
    try {
      const token = await api.token("account", "a-shpoolxx");
      const { page, errors } = await recordedPage(browser);
      await page.goto(`${api.origin}/`);
      const tokenField = page.getByLabel("API token");
      await tokenField.fill("not-a-token");
      await page.getByLabel(/^Account/).fill("");
      await page.getByRole("button", { name: "Sign in" }).click();
      assert.match(await page.getByRole("alert").innerText(), /the API token is not known/);
      await page.getByLabel("API token").fill(token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("status").filter({ hasText: "live" }).waitFor();
      await page.getByText("No instances yet").waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await api.close();
    }
  });
});
