// A Windows launch's options (firewall, activation, KMS host, product key,
// password retries) on every store backend: checked, kept with the
// instance, handed whole to its host's agent only, and the product key never
// shown back in full; options on a Linux image, or wrong ones, refused with
// the field and nothing written.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startApi, startWindowsApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("windows-options");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);
const productKey = "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2";

for (const backend of backends) {
  describe(`Windows options on ${backend}`, () => {
    let api: TestApi;
    let keyId: string;
    let agentToken: string;
    before(async () => {
      ({ api, agentToken, keyId } = await startWindowsApi(backend, join(keys, "rsa.pub")));
    });
    after(() => api.close());

    const launch = (image: string, options: Record<string, string>) =>
      api.req("POST", "/instances.json", {
        form: { image_id: image, instance_spec_name: "kvm.small", ssh_key_id: keyId, ...options },
      });
    const count = async () =>
      (
        await api.store.db
          .selectFrom("instances")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n;

    test("the options are kept; answers show the product key's last group only; the host's agent gets it whole", async () => {
      const r = await launch("wmi-windows2008r2", {
        windows_firewall: "true",
        auto_activate: "true",
        kms_host: "kms.example.com:1688",
        product_key: productKey.toLowerCase(),
        password_retries: "3",
      });
      assert.equal(r.status, 200, r.text);
      const shown = {
        windows_firewall: true,
        auto_activate: true,
        kms_host: "kms.example.com:1688",
        product_key: "*****-*****-*****-*****-VWXY2",
        password_retries: 3,
      };
      assert.deepEqual(r.body.windows_options, shown);
      assert.deepEqual((await api.req("GET", `/instances/${r.body.id}.json`)).body.windows_options, shown);
      const listed = await api.req("GET", "/instances.json");
      assert.doesNotMatch(listed.text, /ABCDE-FGHIJ/);
      assert.doesNotMatch((await api.req("GET", `/instances/${r.body.id}.yml`)).text, /ABCDE-FGHIJ/);
      const state = await api.agent(agentToken, "GET", "/state");
      const wanted = state.body.instances.find((i: { id: string }) => i.id === r.body.id);
      assert.equal(
        wanted.windows_options.product_key,
        productKey,
        "upper case, whole, for the metadata drive",
      );
    });

    test("without options, a Windows instance gets the defaults: firewall off, no activation, 10 tries", async () => {
      const r = await launch("wmi-windows2008r2", {});
      assert.deepEqual(r.body.windows_options, {
        windows_firewall: false,
        auto_activate: false,
        kms_host: null,
        product_key: null,
        password_retries: 10,
      });
    });

    test("refused with the field, nothing written: options on a Linux image, a wrong key or KMS host, a KMS host without activation", async () => {
      const before = await count();
      const cases: [string, Record<string, string>, string, RegExp][] = [
        [
          "wmi-linux",
          { product_key: productKey },
          "product_key",
          /^product_key: Windows options are for Windows images, and wmi-linux is linux$/,
        ],
        [
          "wmi-windows2008r2",
          { product_key: "ABCDE-FGHIJ-KLMNO-PQRST-VWXY" },
          "product_key",
          /is not a product key: write five groups of five letters or digits/,
        ],
        [
          "wmi-windows2008r2",
          { kms_host: "kms.example.com" },
          "kms_host",
          /is not a KMS host: write HOST:PORT/,
        ],
        ["wmi-windows2008r2", { kms_host: "kms:99999" }, "kms_host", /is not a KMS host/],
        [
          "wmi-windows2008r2",
          { kms_host: "kms.example.com:1688" },
          "kms_host",
          /kms_host is where activation goes: give auto_activate=true with it/,
        ],
        ["wmi-windows2008r2", { password_retries: "0" }, "password_retries", /too small/],
      ];
      for (const [image, options, field, message] of cases) {
        const r = await launch(image, options);
        assert.equal(r.status, 400, `${JSON.stringify(options)}: ${r.text}`);
        assert.equal(r.body.field, field, r.text);
        assert.match(r.body.message, message);
        // A wrong product key may be a real one with a typo: it is not repeated.
        assert.doesNotMatch(r.text, /ABCDE-FGHIJ/);
      }
      assert.equal(await count(), before, "no instance written");
    });
  });
}

describe("the operator's defaults (dcmgr.conf)", () => {
  test("a launch without options takes the operator's; a launch's own win", async () => {
    const api = await startApi("sqlite", {
      windowsDefaults: {
        windows_firewall: true,
        auto_activate: true,
        kms_host: "kms.example.com:1688",
        product_key: null,
        password_retries: 5,
      },
    });
    try {
      const keyId = (
        await api.req("POST", "/ssh_key_pairs.json", {
          form: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
        })
      ).body.id;
      const launch = (options: Record<string, string>) =>
        api.req("POST", "/instances.json", {
          form: {
            image_id: "wmi-windows2008r2",
            instance_spec_name: "kvm.small",
            ssh_key_id: keyId,
            ...options,
          },
        });
      assert.deepEqual((await launch({})).body.windows_options, {
        windows_firewall: true,
        auto_activate: true,
        kms_host: "kms.example.com:1688",
        product_key: null,
        password_retries: 5,
      });
      // Activation turned off by the launch: the operator's KMS host goes with it.
      const own = await launch({ windows_firewall: "false", auto_activate: "false", password_retries: "2" });
      assert.deepEqual(own.body.windows_options, {
        windows_firewall: false,
        auto_activate: false,
        kms_host: null,
        product_key: null,
        password_retries: 2,
      });
    } finally {
      await api.close();
    }
  });
});
