// "Get Windows password": once the guest's first boot has stored the
// encrypted password, the user chooses their private key file; it is read
// and used in this page only (private-key.ts), and the password is shown
// with what a remote desktop client needs. Before it is ready, why not.
import { useEffect, useState } from "preact/hooks";
import { wrongKeyMessage } from "../../../src/model/password-messages.js";
import { api } from "../api/client.js";
import { type Instance, rdpEndpoint } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { saveTextFile } from "../components/download.js";
import { duration, localTime } from "../components/format.js";
import { Confirm } from "../components/modal.js";
import { passwords } from "../state/passwords.js";
import { decryptWithKey, importPrivateKey, keyNeedsPassphrase, PassphraseError } from "./private-key.js";
import { rdpFile } from "./rdp-file.js";

export interface FirstBoot {
  /** When the instance began its first boot (its first initializing), if it has. */
  since: string | null;
  usualSeconds: number | null;
}

export function PasswordPanel(props: { instance: Instance; firstBoot: FirstBoot }) {
  const i = props.instance;
  const [keyText, setKeyText] = useState<string | null>(null);
  const [keyName, setKeyName] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [password, setPassword] = useState<string | null>(passwords.get(i.id) ?? null);
  const [problem, setProblem] = useState("");
  const [forgetting, setForgetting] = useState(false);
  const [copied, setCopied] = useState(false);
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);

  if (i.os_type !== "windows") return <p>Not a Windows instance: it has no initial password.</p>;
  if (!i.password_ready && !password) {
    if (!["pending", "initializing", "scheduling"].includes(i.state))
      return (
        <p>
          No password is stored for this instance: it was forgotten, or its first boot did not end with one.
        </p>
      );
    const since = props.firstBoot.since;
    return (
      <p role="status" class="waiting">
        First boot in progress
        {since && ` since ${localTime(since)} (${duration(Date.now() - Date.parse(since))})`}: Windows runs
        sysprep, then makes the password and encrypts it with your key.{" "}
        {props.firstBoot.usualSeconds !== null
          ? `On this cloud it usually takes ${duration(props.firstBoot.usualSeconds * 1000)}.`
          : "It usually takes a few minutes."}{" "}
        This page shows it as soon as it is ready.
      </p>
    );
  }

  const needsPassphrase = keyText !== null && keyNeedsPassphrase(keyText);
  const decrypt = async (e: Event) => {
    e.preventDefault();
    setProblem("");
    if (keyText === null) return;
    try {
      const key = await importPrivateKey(keyText, passphrase || undefined);
      const { encrypted_password } = await api<{ encrypted_password: string }>(
        "GET",
        `/instances/${i.id}/password`,
      );
      let plain: string;
      try {
        plain = await decryptWithKey(key, encrypted_password);
      } catch {
        throw new Error(wrongKeyMessage(i.id, i.ssh_key_pair?.uuid));
      }
      passwords.set(i.id, plain);
      setPassword(plain);
      setKeyText(null);
      setPassphrase("");
    } catch (err) {
      setProblem((err as Error).message);
      if (err instanceof PassphraseError) setPassphrase("");
    }
  };
  const rdp = rdpEndpoint(i, location.hostname);

  if (password) {
    return (
      <div class="password">
        <dl>
          <dt>User</dt>
          <dd>Administrator</dd>
          <dt>Password</dt>
          <dd>
            <code data-testid="password">{password}</code>{" "}
            <button
              type="button"
              class="small"
              onClick={async () => {
                await navigator.clipboard.writeText(password);
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </dd>
          <dt>Remote desktop</dt>
          <dd>
            {rdp ? (
              <>
                <code>
                  {rdp.host}:{rdp.port}
                </code>{" "}
                <button
                  type="button"
                  class="small"
                  onClick={() =>
                    saveTextFile(
                      `${i.id}.rdp`,
                      rdpFile(rdp.host, rdp.port, "Administrator"),
                      "application/x-rdp",
                    )
                  }
                >
                  Download .rdp
                </button>
              </>
            ) : (
              "no address yet"
            )}
          </dd>
        </dl>
        {i.password_ready && (
          <button type="button" class="danger small" onClick={() => setForgetting(true)}>
            Forget password
          </button>
        )}
        {forgetting && (
          <Confirm
            title="Forget the password?"
            message={`dcmgr deletes ${i.id}'s encrypted password; nobody can read it again from the API. Change it in Windows once you are logged in.`}
            action="Forget password"
            onConfirm={async () => {
              await api("DELETE", `/instances/${i.id}/password`);
              passwords.forget(i.id);
              setPassword(null);
            }}
            onClose={() => setForgetting(false)}
          />
        )}
      </div>
    );
  }

  return (
    <form class="decrypt" onSubmit={decrypt}>
      <p>
        The password is ready. Choose the private key of{" "}
        {i.ssh_key_pair?.display_name ?? i.ssh_key_pair?.uuid ?? "the instance's key"}: it is read in this
        page only and sent nowhere.
      </p>
      <label>
        Private key file
        <input
          type="file"
          name="private_key"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            setProblem("");
            if (!f) return;
            if (f.size > 64 * 1024) {
              setProblem("this file is too large to be a private key");
              return;
            }
            setKeyName(f.name);
            setKeyText(await f.text());
          }}
        />
      </label>
      {needsPassphrase && (
        <label>
          Passphrase of {keyName}
          <input
            type="password"
            name="passphrase"
            autocomplete="off"
            value={passphrase}
            onInput={(e) => setPassphrase(e.currentTarget.value)}
          />
        </label>
      )}
      <Alert message={problem} />
      <button type="submit" class="primary" disabled={keyText === null || (needsPassphrase && !passphrase)}>
        Decrypt password
      </button>
    </form>
  );
}
