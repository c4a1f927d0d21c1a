// Refreshes the web GUI's screenshots in docs/screenshots/ (shown in the
// README): the all-in-one cloud in a temporary home, one test-guest Windows
// instance launched and running, its password decrypted in the page, and
// each main page taken by Debian's Chromium.
// Run: npm run docs:screenshots
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser } from "../test/helpers/browser.js";
import { freePort } from "../test/helpers/net.js";
import { repoRoot, tempDir } from "../test/helpers/paths.js";
import { startUp, upEnv } from "../test/helpers/wakame-up.js";

const out = join(repoRoot, "docs", "screenshots");
mkdirSync(out, { recursive: true });
const home = tempDir("screenshots");
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const cloud = startUp(upEnv(home, port), port);
const browser = await launchBrowser();
const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${origin}/api/12.03${path}`, {
    method,
    headers: { "X-VDC-Account-ID": "a-shpoolxx", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${await r.text()}`);
  return r.json();
};
try {
  await cloud.ready();
  const key = join(home, "demo-key");
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    "rsa",
    "-b",
    "2048",
    "-m",
    "PEM",
    "-N",
    "",
    "-C",
    "demo",
    "-f",
    key,
  ]);
  const sshKey = await call("POST", "/ssh_key_pairs", {
    public_key: readFileSync(`${key}.pub`, "utf8"),
    display_name: "demo-key",
  });
  const group = await call("POST", "/security_groups", {
    rule: "tcp:3389,3389,ip4:0.0.0.0",
    display_name: "remote desktop",
  });
  const made = await call("POST", "/instances", {
    image_id: "wmi-testwin",
    instance_spec_name: "kvm.small",
    ssh_key_id: sshKey.id,
    security_groups: [group.id],
    hostname: "win-demo-1",
    display_name: "demo",
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`) });
  await page.goto(`${origin}/`);
  await shot("sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto(`${origin}/#/instances/${made.id}`);
  await page.locator("[data-state=running]").first().waitFor({ timeout: 300_000 });
  await page.locator("input[name=private_key]").setInputFiles(key);
  await page.getByRole("button", { name: "Decrypt password" }).click();
  await page.getByTestId("password").waitFor();
  await shot("instance");
  // The guest's sign-in is on its screen once its boot has come that far.
  const serial = join(home, "instances", made.id, "serial.log");
  for (let i = 0; i < 600 && !readFileSync(serial, "utf8").includes("login check on 3389"); i++)
    await new Promise((r) => setTimeout(r, 100));
  await page.getByRole("button", { name: "Open console" }).click();
  await page.locator("[data-console-status=connected]").waitFor();
  await page.waitForTimeout(1000);
  await page.getByTestId("console-screen").scrollIntoViewIfNeeded();
  await shot("console");
  await page.getByRole("link", { name: "Instances" }).click();
  await page.locator("tr[data-instance]").first().waitFor();
  await shot("instances");
  await page.getByRole("button", { name: "Launch Instance" }).click();
  await page.getByRole("dialog").getByLabel("Hostname").fill("a-name-too-long-for-windows");
  await shot("launch");
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "Security groups" }).click();
  await page.getByRole("button", { name: "New group" }).click();
  await page
    .getByRole("dialog")
    .getByLabel(/^Rules/)
    .fill("tcp:3389,3389,ip4:0.0.0.0\ntcp:22,2,ip4:10.0.0.0/8\n");
  await shot("security-groups");
  await page.keyboard.press("Escape");
  for (const [link, name] of [
    ["SSH keys", "ssh-keys"],
    ["Images", "images"],
    ["Hosts", "hosts"],
  ] as const) {
    await page.getByRole("link", { name: link }).click();
    await page.locator("table tbody tr").first().waitFor();
    await shot(name);
  }
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await cloud.stop();
  rmSync(home, { recursive: true, force: true });
}
