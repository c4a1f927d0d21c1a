// SSH keys: the account's public keys, whether each can carry a Windows
// password (RSA only), importing one, or generating a pair in the page with
// a one-time download of its private key.
import { useState } from "preact/hooks";
import { api } from "../api/client.js";
import type { SshKeyPair } from "../api/types.js";
import { saveTextFile } from "../components/download.js";
import { ConfirmDelete, Modal } from "../components/modal.js";
import { generateRsaKeyPair } from "../keys/generate.js";
import { keyProblemForWindows } from "../launch/launch-rules.js";
import { useList } from "../state/resource.js";

function AddKey(props: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [publicKey, setPublicKey] = useState("");
  const [error, setError] = useState("");
  const [generated, setGenerated] = useState<{ id: string; privatePem: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const add = async (line: string) => {
    setError("");
    return api<SshKeyPair>("POST", "/ssh_key_pairs", {
      public_key: line,
      ...(name && { display_name: name }),
    });
  };
  if (generated) {
    return (
      <Modal title="Save the private key" onClose={props.onDone}>
        <p>
          The key pair {generated.id} is made. Its private key exists only in this page: download it now. It
          is not kept anywhere and cannot be shown again.
        </p>
        <footer>
          <button
            type="button"
            class="primary"
            onClick={() =>
              saveTextFile(`${name || generated.id}.pem`, generated.privatePem, "application/x-pem-file")
            }
          >
            Download private key
          </button>
          <button type="button" onClick={props.onDone}>
            Done
          </button>
        </footer>
      </Modal>
    );
  }
  return (
    <Modal title="Add an SSH key" onClose={props.onDone}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await add(publicKey.trim());
            props.onDone();
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <label>
          Name
          <input name="display_name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Public key (one line of ~/.ssh/id_rsa.pub)
          <textarea
            name="public_key"
            rows={4}
            value={publicKey}
            onInput={(e) => setPublicKey(e.currentTarget.value)}
          />
          {error && (
            <small class="error" role="alert">
              {error}
            </small>
          )}
        </label>
        <footer>
          <button
            type="button"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                const pair = await generateRsaKeyPair(name || "wakame-ts");
                const made = await add(pair.publicKey);
                setGenerated({ id: made.id, privatePem: pair.privatePem });
              } catch (err) {
                setError((err as Error).message);
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? "Generating…" : "Generate a new RSA pair instead"}
          </button>
          <button type="submit" class="primary" disabled={!publicKey.trim()}>
            Import
          </button>
        </footer>
      </form>
    </Modal>
  );
}

export function SshKeysPage() {
  const keys = useList<SshKeyPair>("/ssh_key_pairs");
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<SshKeyPair | null>(null);
  return (
    <section>
      <header class="page">
        <h1>SSH keys</h1>
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          Add key
        </button>
      </header>
      {keys.error && <p class="error">{keys.error}</p>}
      <table class="list" aria-label="SSH keys">
        <thead>
          <tr>
            <th>Key</th>
            <th>Type</th>
            <th>Fingerprint</th>
            <th>Windows</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(keys.rows ?? []).map((k) => {
            const problem = keyProblemForWindows(k);
            return (
              <tr key={k.id}>
                <td>
                  {k.id}
                  <div class="sub">{k.display_name}</div>
                </td>
                <td>
                  {k.key_type} {k.key_bits}
                </td>
                <td>
                  <code>{k.fingerprint}</code>
                </td>
                <td class={problem ? "error" : ""}>{problem ? `unusable: ${problem}` : "usable"}</td>
                <td>
                  <button type="button" class="danger small" onClick={() => setDeleting(k)}>
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {adding && (
        <AddKey
          onDone={() => {
            setAdding(false);
            void keys.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete
          id={deleting.id}
          path={`/ssh_key_pairs/${deleting.id}`}
          consequence="Instances launched with it keep running; new ones cannot use it."
          onDeleted={keys.reload}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
