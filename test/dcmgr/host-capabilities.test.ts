// Hosts say what they can: each agent's heartbeat reports UEFI, Secure Boot, a
// TPM, KVM and its CPU model; dcmgr places an instance only on a host that can
// run its image, and says what is lacking when none can.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startApi, type TestApi } from "../helpers/api.js";
import { backends, imageRow } from "../helpers/stores.js";

for (const backend of backends) {
  describe(`host capabilities and placement on ${backend}`, () => {
    let api: TestApi;
    let token = "";
    const launch = (image: string) =>
      api.req("POST", "/instances.json", { form: { image_id: image, instance_spec_name: "kvm.small" } });

    before(async () => {
      api = await startApi(backend);
      token = await api.token("host_node", "hn-demo1");
      await api.store.db
        .insertInto("images")
        .values([
          imageRow({
            id: "wmi-w11",
            backup_object_id: "bo-windows2008r2",
            features: '{"uefi":true,"secure_boot":true,"tpm":true}',
          }),
          imageRow({ id: "wmi-bios", backup_object_id: "bo-windows2008r2" }),
        ])
        .execute();
    });
    after(() => api.close());

    test("before its agent reports, a host runs BIOS images only; a UEFI+TPM launch says what no host has", async () => {
      const shown = (await api.req("GET", "/host_nodes/hn-demo1.json")).body;
      assert.deepEqual(shown.capabilities, {
        kvm: false,
        uefi: false,
        secure_boot: false,
        tpm: false,
        cpu_model: "",
      });
      const before = await api.t.snapshot();
      const refused = await launch("wmi-w11");
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.body.error, "Dcmgr::Endpoints::Errors::OutOfHostCapacity");
      assert.match(
        refused.body.message,
        /no host node can run its image, which needs UEFI firmware \(OVMF\) and Secure Boot \(OVMF's variable store template\) and a TPM 2.0 \(swtpm\)/,
      );
      assert.equal(await api.t.snapshot(), before, "nothing written");
      assert.equal((await launch("wmi-bios")).status, 200);
    });

    test("a heartbeat's capabilities are kept and shown; then the image is placed there", async () => {
      const caps = { kvm: false, uefi: true, secure_boot: true, tpm: true, cpu_model: "Nehalem" };
      const beat = await api.agent(token, "POST", "/heartbeat", { capabilities: caps });
      assert.equal(beat.status, 200, beat.text);
      assert.deepEqual((await api.req("GET", "/host_nodes/hn-demo1.json")).body.capabilities, caps);
      const placed = await launch("wmi-w11");
      assert.equal(placed.status, 200, placed.text);
      assert.equal(placed.body.host_node, "hn-demo1");
      // A plain heartbeat (the agent's first, before its probe) keeps what was reported.
      assert.equal((await api.agent(token, "POST", "/heartbeat", {})).status, 200);
      assert.deepEqual((await api.req("GET", "/host_nodes/hn-demo1.json")).body.capabilities, caps);
    });

    test("capabilities that are not what the contract says are refused, and nothing changes", async () => {
      const before = await api.t.snapshot();
      for (const [capabilities, why] of [
        [
          { kvm: "yes", uefi: true, secure_boot: true, tpm: true, cpu_model: "x" },
          /kvm must be true or false/,
        ],
        [{ kvm: true, uefi: true, secure_boot: true, tpm: true }, /cpu_model must be a CPU model name/],
        [
          { kvm: true, uefi: true, secure_boot: true, tpm: true, cpu_model: "x", sgx: true },
          /unknown capabilities: sgx/,
        ],
        [[true], /must be an object/],
      ] as const) {
        const r = await api.agent(token, "POST", "/heartbeat", { capabilities });
        assert.equal(r.status, 400, r.text);
        assert.match(r.body.message, why);
      }
      assert.equal(await api.t.snapshot(), before);
    });
  });
}
