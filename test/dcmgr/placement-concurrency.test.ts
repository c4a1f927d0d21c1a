// Placement under concurrency from several API servers (issue 12): 200
// launches at once, spread over two dcmgr servers with their own connections
// to one store, onto 3 hosts with room for 15 instances. Exactly 15 are
// placed, every other request is answered OutOfHostCapacity, none is left
// unanswered, and each host's counters equal what its instances hold.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { buildServer } from "../../src/dcmgr/server.js";
import { addHostNode, startApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("placement-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);

for (const backend of backends) {
  describe(`placement from two dcmgr on ${backend}`, () => {
    test("200 concurrent launches onto room for 15: 15 placed, the rest OutOfHostCapacity, counters exact", async () => {
      const api = await startApi(backend);
      const otherStore = await api.t.open();
      const other = await buildServer(otherStore, {
        requireTokens: false,
        passwords: { deleteAfterMinutes: 0 },
      });
      try {
        await other.listen({ host: "127.0.0.1", port: 0 });
        const address = other.server.address();
        const otherOrigin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
        await addHostNode(api.store, "hn-two", "hva.two", true);
        await addHostNode(api.store, "hn-three", "hva.three", true);
        // Room for 5 kvm.small (1 core, 1024 MB) on each: memory is what runs out.
        await api.store.db
          .updateTable("host_nodes")
          .set({ offering_cpu_cores: 100, offering_memory_size: 5 * 1024 })
          .where("id", "in", ["hn-demo1", "hn-two", "hn-three"])
          .execute();
        const key = (
          await api.req("POST", "/ssh_key_pairs", {
            json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
          })
        ).body.id;
        const launches = Array.from({ length: 200 }, (_, i) =>
          fetch(`${i % 2 ? otherOrigin : api.origin}/api/12.03/instances`, {
            method: "POST",
            headers: { "X-VDC-Account-ID": "a-shpoolxx", "Content-Type": "application/json" },
            body: JSON.stringify({
              image_id: "wmi-windows2008r2",
              instance_spec_name: "kvm.small",
              ssh_key_id: key,
            }),
          }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as { id?: string; error?: string },
          })),
        );
        const answers = await Promise.all(launches);
        const placed = answers.filter((a) => a.status === 200);
        const refused = answers.filter((a) => a.status !== 200);
        assert.equal(placed.length, 15);
        assert.equal(new Set(placed.map((a) => a.body.id)).size, 15);
        assert.deepEqual(
          [...new Set(refused.map((a) => `${a.status} ${a.body.error?.split("::").at(-1)}`))],
          ["503 OutOfHostCapacity"],
        );
        const hosts = await api.store.db
          .selectFrom("host_nodes")
          .select(["id", "offering_memory_size", "used_memory_size", "used_cpu_cores"])
          .where("id", "in", ["hn-demo1", "hn-two", "hn-three"])
          .execute();
        for (const h of hosts) {
          const held = await api.store.db
            .selectFrom("instances")
            .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("memory_size").as("memory")])
            .where("host_node_id", "=", h.id)
            .where("state", "!=", "terminated")
            .executeTakeFirstOrThrow();
          assert.equal(Number(h.used_memory_size), Number(held.memory ?? 0), `${h.id}'s memory counter`);
          assert.equal(Number(h.used_cpu_cores), Number(held.n), `${h.id}'s core counter`);
          assert.ok(Number(h.used_memory_size) <= h.offering_memory_size, `${h.id} not overcommitted`);
        }
        assert.equal(
          hosts.reduce((n, h) => n + Number(h.used_memory_size), 0),
          15 * 1024,
        );
      } finally {
        await other.close();
        await otherStore.close();
        await api.close();
      }
    });
  });
}
