// The web GUI in a real browser (Debian's Chromium through playwright-core)
// against the all-in-one cloud, with the Linux test guest as the Windows
// image: keys imported on the page, the launch dialog's checks, a launch
// watched live from initializing to running, the password decrypted in the
// page with a PEM key and with a passphrase-protected OpenSSH key and used
// on the guest's login check, the console with the guest's screen, typing
// the password into it and Ctrl+Alt+Del, and a terminate. Every request
// and WebSocket frame the page sends is recorded: none carries a private key.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { decodePng } from "../../src/image/png.js";
import { passwordRules } from "../../src/model/guest-protocol.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { loginCheck } from "../../src/testguest/client.js";
import {
  eventually,
  launchBrowser,
  type RecordedPage,
  recordedPage,
  withoutChromium,
} from "../helpers/browser.js";
import { freePort } from "../helpers/net.js";
import { tempDir } from "../helpers/paths.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const home = tempDir("gui");
const passphrase = "correct horse 7";
const keys = {
  pem: join(home, "rsa.pem"),
  openssh: join(home, "rsa-openssh"),
  other: join(home, "other.pem"),
  ed25519: join(home, "ed25519"),
};
let cloud: ReturnType<typeof startUp>;
let origin = "";
let browser: Browser;
let user: RecordedPage;
let instanceId = "";
let password = "";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keygen = (...args: string[]) => execFileSync("ssh-keygen", ["-q", ...args]);
/**
 * What the page must never send: the key files' lines of base64 (those that
 * are not also in the public key, which the page does send), and each key's
 * private numbers (d, p, q) in base64, base64url and hex, and the passphrase.
 */
function secrets(): string[] {
  const out = [passphrase];
  for (const f of [keys.pem, keys.openssh, keys.other]) {
    const text = readFileSync(f, "utf8");
    const pub = readFileSync(f === keys.openssh ? `${keys.pem}.pub` : `${f}.pub`, "utf8");
    out.push(...text.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----") && !pub.includes(l)));
    const jwk = readPrivateKey(text, f === keys.openssh ? passphrase : undefined).export({ format: "jwk" });
    for (const part of [jwk.d!, jwk.p!, jwk.q!]) {
      const bytes = Buffer.from(part, "base64url");
      out.push(part.slice(0, 40), bytes.toString("base64").slice(0, 40), bytes.toString("hex").slice(0, 40));
    }
  }
  return out;
}

const serialLog = () => readFileSync(join(home, "instances", instanceId, "serial.log"), "utf8");

async function signIn(r: RecordedPage): Promise<void> {
  await r.page.goto(`${origin}/`);
  await r.page.getByLabel("Account").fill("a-shpoolxx");
  await r.page.getByRole("button", { name: "Sign in" }).click();
  await r.page.getByRole("status").filter({ hasText: "live" }).waitFor();
}

describe("the web GUI", { skip: withoutChromium }, () => {
  before(async () => {
    keygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "gui-test", "-f", keys.pem);
    // The same key again, as ssh-keygen writes it today: OpenSSH's format, with a passphrase.
    copyFileSync(keys.pem, keys.openssh);
    keygen("-p", "-N", passphrase, "-f", keys.openssh);
    keygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keys.other);
    keygen("-t", "ed25519", "-N", "", "-f", keys.ed25519);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    cloud = startUp(upEnv(home, port), port);
    await cloud.ready();
    browser = await launchBrowser();
    user = await recordedPage(browser);
  });

  after(async () => {
    await browser?.close();
    await cloud?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test("sign in, import an RSA and an ed25519 key; ed25519 is shown unusable for Windows", async () => {
    const { page } = user;
    await signIn(user);
    await page.getByRole("link", { name: "SSH keys" }).click();
    for (const [name, file] of [
      ["rsa-key", `${keys.pem}.pub`],
      ["ed-key", `${keys.ed25519}.pub`],
    ]) {
      await page.getByRole("button", { name: "Add key" }).click();
      await page.getByLabel("Name").fill(name!);
      await page.getByLabel(/^Public key/).fill(readFileSync(file!, "utf8"));
      await page.getByRole("button", { name: "Import" }).click();
      await page.getByRole("row").filter({ hasText: name! }).waitFor();
    }
    const ed = page.getByRole("row").filter({ hasText: "ed-key" });
    assert.match(await ed.innerText(), /ssh-ed25519[\s\S]*unusable/);
    const rsa = await page.getByRole("row").filter({ hasText: "rsa-key" }).innerText();
    assert.match(rsa, /ssh-rsa 2048[\s\S]*usable/);
    assert.doesNotMatch(rsa, /unusable/);
    // A bad key gets the API's own message, in the dialog.
    await page.getByRole("button", { name: "Add key" }).click();
    await page.getByLabel(/^Public key/).fill("ssh-rsa not-base64 x");
    await page.getByRole("button", { name: "Import" }).click();
    assert.match(await page.getByRole("alert").innerText(), /public_key: /);
    await page.keyboard.press("Escape");
  });

  test("the launch dialog: kvm.xlarge proposed, launch disabled without a key and with ed25519, an RDP group offered, hostname and API errors by their fields", async () => {
    const { page } = user;
    await page.getByRole("link", { name: "Instances" }).click();
    await page.getByRole("button", { name: "Launch Instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Launch Instance" });
    await dialog.getByLabel("Image").selectOption("wmi-testwin");
    assert.equal(
      await dialog.getByText(/^Boots on:/).innerText(),
      "Boots on: BIOS",
      "the image's virtual hardware",
    );
    // The specs arrive with the dialog's own reads: wait for the proposal rather than read it at once.
    const proposed = await page
      .waitForFunction(
        () =>
          (document.querySelector("select[name=instance_spec_name]") as HTMLSelectElement | null)?.value ===
          "kvm.xlarge",
        null,
        { timeout: 10_000 },
      )
      .then(
        () => true,
        () => false,
      );
    assert.ok(
      proposed,
      `kvm.xlarge proposed, not '${await dialog.getByLabel("Instance spec").inputValue()}'`,
    );
    const launch = dialog.getByRole("button", { name: "Launch", exact: true });
    assert.ok(await eventually(() => launch.isDisabled()), "no key: disabled");
    assert.match(await dialog.locator("#launch-blocker").innerText(), /need an RSA ssh key/);
    const keySelect = dialog.getByLabel(/^SSH key/);
    const edOption = keySelect.locator("option", { hasText: "ed-key" });
    assert.match(await edOption.innerText(), /unusable for Windows/);
    await keySelect.selectOption({ label: await edOption.innerText() });
    assert.ok(await eventually(() => launch.isDisabled()), "ed25519: disabled");
    assert.match(
      await dialog.locator("#launch-blocker").innerText(),
      /ed25519 keys cannot encrypt the Windows password/,
    );
    await keySelect.selectOption({
      label: await keySelect.locator("option", { hasText: "rsa-key" }).innerText(),
    });
    assert.ok(await eventually(() => launch.isEnabled()));

    await dialog.getByLabel("Hostname").fill("a-name-of-17-chars");
    assert.ok(await eventually(() => launch.isDisabled()), "a hostname over 15 characters");
    assert.match(await dialog.locator("#launch-blocker").innerText(), /at most 15 characters/);
    await dialog.getByLabel("Hostname").fill("win-gui-1");

    // No group opens 3389: the dialog offers one, and makes it.
    assert.match(await dialog.getByRole("note").innerText(), /No chosen group opens tcp 3389/);
    await dialog.getByRole("button", { name: "Create a group with tcp:3389,3389,ip4:0.0.0.0" }).click();
    await dialog.getByRole("checkbox", { checked: true }).waitFor();
    assert.equal(await dialog.getByRole("note").count(), 0);

    // What only the API checks comes back beside its field.
    await dialog.getByLabel("Instance spec").selectOption("kvm.small");
    await dialog.getByLabel("User data").fill("x".repeat(17_000));
    await launch.click();
    const userDataError = dialog.locator("#user_data-error");
    await userDataError.waitFor();
    assert.match(await userDataError.innerText(), /^user_data: /);
    await dialog.getByLabel("User data").fill("");

    // Windows options: the product key checked as it is typed; firewall on, activation against a KMS host.
    const options = dialog.getByRole("group", { name: "Windows options" });
    await options.getByLabel("Product key").fill("ABCDE-FGHIJ-KLMNO-PQRST");
    assert.ok(await eventually(() => launch.isDisabled()), "a product key of four groups");
    assert.match(await dialog.locator("#launch-blocker").innerText(), /is not a product key/);
    await options.getByLabel("Product key").fill("abcde-fghij-klmno-pqrst-vwxy2");
    assert.ok(await eventually(() => launch.isEnabled()));
    await options.getByLabel("Firewall on (remote desktop let in)").check();
    await options.getByLabel("Activate Windows at first boot").check();
    await options.getByLabel("KMS host").fill("kms.example.com:1688");
  });

  test("launch: the page shows initializing, then running, without a reload; the wait for the password says why", async () => {
    const { page } = user;
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await page.getByRole("dialog").getByRole("button", { name: "Launch", exact: true }).click();
    await page.waitForURL(/#\/instances\/i-/);
    instanceId = page.url().split("/").at(-1)!;
    // Every state the page shows, as it shows it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const note = () => {
        const s = document.querySelector("[data-testid=state]")?.textContent ?? "";
        if (s && seen.at(-1) !== s) seen.push(s);
      };
      note();
      new MutationObserver(note).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await page.getByText("First boot in progress").waitFor({ timeout: 180_000 });
    await page.locator("[data-testid=state][data-state=running]").waitFor({ timeout: 240_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.includes("initializing"), `seen: ${seen}`);
    assert.equal(seen.at(-1), "running");
    assert.ok(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded));
    const history = await page.getByRole("list", { name: "State history" }).innerText();
    assert.match(history, /pending[\s\S]*initializing[\s\S]*running/);
    // The dialog's Windows options reached the guest; the product key by its last group only.
    for (let i = 0; i < 600 && !/wakame-testvm: options/.test(serialLog()); i++) await sleep(200);
    assert.match(
      serialLog(),
      /wakame-testvm: options firewall=on auto-activate=on kms=kms\.example\.com:1688 product-key=\*{5}-\*{5}-\*{5}-\*{5}-VWXY2 retries=10/,
    );
  });

  test("the password: a wrong key says so; the PEM key decrypts it in the page; the guest takes it", async () => {
    const { page } = user;
    const keyFile = page.locator("input[name=private_key]");
    await keyFile.setInputFiles(keys.other);
    await page.getByRole("button", { name: "Decrypt password" }).click();
    assert.match(
      await page.getByRole("alert").innerText(),
      new RegExp(
        `this key does not decrypt the password of ${instanceId} \\(was the instance launched with ssh-`,
      ),
    );
    await keyFile.setInputFiles(keys.pem);
    await page.getByRole("button", { name: "Decrypt password" }).click();
    password = await page.getByTestId("password").innerText();
    assert.equal(password.length, passwordRules.length, password);
    await page.getByRole("button", { name: "Copy" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), password);
    const rdp = (
      await page
        .locator("dd")
        .filter({ hasText: /^127\.0\.0\.1:\d+/ })
        .first()
        .innerText()
    ).split(" ")[0]!;
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download .rdp" }).click();
    const rdpFile = readFileSync(await (await download).path(), "utf8");
    assert.match(
      rdpFile,
      new RegExp(`full address:s:${rdp.replace(/\./g, "\\.")}\r\nusername:s:Administrator`),
    );
    assert.equal(await loginCheck(Number(rdp.split(":")[1]), password), "OK\n");
  });

  test("the password again in another tab, with the passphrase-protected OpenSSH key", async () => {
    const other = await recordedPage(browser);
    try {
      await signIn(other);
      await other.page.goto(`${origin}/#/instances/${instanceId}`);
      await other.page.locator("input[name=private_key]").setInputFiles(keys.openssh);
      const phrase = other.page.getByLabel(/^Passphrase of/);
      await phrase.fill("not it");
      await other.page.getByRole("button", { name: "Decrypt password" }).click();
      assert.match(await other.page.getByRole("alert").innerText(), /passphrase is wrong/);
      await phrase.fill(passphrase);
      await other.page.getByRole("button", { name: "Decrypt password" }).click();
      assert.equal(await other.page.getByTestId("password").innerText(), password);
      user.requests.push(...other.requests);
      user.framesSent.push(...other.framesSent);
    } finally {
      await other.context.close();
    }
  });

  test("the console: the guest's screen through dcmgr, the password typed into its sign-in, Ctrl+Alt+Del", async () => {
    const { page } = user;
    await page.getByRole("button", { name: "Open console" }).click();
    await page.locator("[data-console-status=connected]").waitFor({ timeout: 30_000 });
    const canvas = page.getByTestId("console-screen").locator("canvas");
    // The guest's sign-in screen, as QEMU itself shows it (its screendump through the API), is on the canvas.
    for (let i = 0; i < 300 && !/login check on 3389/.test(serialLog()); i++) await sleep(100);
    await sleep(1000);
    const dump = await fetch(`${origin}/api/12.03/instances/${instanceId}/screenshot.png`, {
      headers: { "X-VDC-Account-ID": "a-shpoolxx" },
    });
    const qemu = decodePng(new Uint8Array(await dump.arrayBuffer()));
    const shown = await canvas.evaluate((c: HTMLCanvasElement) => ({
      width: c.width,
      height: c.height,
      rgba: [...c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data],
    }));
    assert.deepEqual([shown.width, shown.height], [qemu.width, qemu.height]);
    let same = 0;
    let lit = 0;
    for (let p = 0; p < qemu.width * qemu.height; p++) {
      const rgb = [0, 1, 2].map((c) => qemu.data[p * 4 + c]!);
      if (rgb.every((v, c) => v === shown.rgba[p * 4 + c])) same++;
      if (rgb.some((v) => v > 128)) lit++;
    }
    assert.ok(lit > 500, "the screen has text on it");
    assert.ok(
      same / (qemu.width * qemu.height) > 0.99,
      `${same} of ${qemu.width * qemu.height} pixels as QEMU's`,
    );

    await page.getByRole("button", { name: "Type password" }).click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll("button")].some((b) => b.textContent === "Type password" && !b.disabled),
    );
    // Type password sends no Enter; the user presses it on the console.
    await canvas.click();
    await page.keyboard.press("Enter");
    for (let i = 0; i < 100 && !/console sign-in/.test(serialLog()); i++) await sleep(200);
    assert.match(serialLog(), /wakame-testvm: console sign-in OK/);

    const boots = (serialLog().match(/wakame-testvm: boot\r?$/gm) ?? []).length;
    await page.getByRole("button", { name: "Ctrl+Alt+Del" }).click();
    for (let i = 0; i < 300 && (serialLog().match(/wakame-testvm: boot\r?$/gm) ?? []).length === boots; i++)
      await sleep(200);
    assert.equal(
      (serialLog().match(/wakame-testvm: boot\r?$/gm) ?? []).length,
      boots + 1,
      "Ctrl+Alt+Del rebooted the guest",
    );
    await page.getByRole("button", { name: "Close console" }).click();
  });

  test("forget password: confirmed, dcmgr no longer has it, and the page says so", async () => {
    const { page } = user;
    await page.getByRole("button", { name: "Forget password" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Forget password" }).click();
    await page.getByText("No password is stored for this instance").waitFor();
    const asked = await fetch(`${origin}/api/12.03/instances/${instanceId}/password`, {
      headers: { "X-VDC-Account-ID": "a-shpoolxx" },
    });
    assert.equal(asked.status, 404);
  });

  test("no request, header, URL or WebSocket frame the pages sent carried a private key or its passphrase", () => {
    assert.ok(user.requests.length > 20, `${user.requests.length} requests recorded`);
    const sent = [
      ...user.requests.map((r) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`),
      ...user.framesSent,
    ].join("\n");
    const kept = secrets();
    assert.ok(kept.length > 20);
    for (const s of kept) assert.ok(!sent.includes(s), `a request carried '${s.slice(0, 12)}...'`);
    assert.deepEqual(user.errors, []);
  });

  test("terminate, confirmed, and the page follows it to terminated", async () => {
    const { page } = user;
    await page.getByRole("button", { name: "Terminate" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Terminate" }).click();
    await page.locator("[data-testid=state][data-state=terminated]").waitFor({ timeout: 60_000 });
  });
});
