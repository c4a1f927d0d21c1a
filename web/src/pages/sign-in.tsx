// Sign-in: on loopback dcmgr takes the account header alone (as mussel
// does), elsewhere an API token (`vdc-manage token add --account-id ...`).
// /gui/settings says which; the first API call checks what was given.
import { useEffect, useState } from "preact/hooks";
import { uuidProblem } from "../../../src/model/uuid.js";
import type { Session } from "../api/session.js";
import { Alert } from "../components/alert.js";

interface Settings {
  tokens_required: boolean;
  account_hint: string | null;
}

export function SignIn(props: { refused: string | null; onSignIn: (s: Session) => void }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [account, setAccount] = useState("");
  const [token, setToken] = useState("");
  useEffect(() => {
    fetch("/gui/settings")
      .then((r) => r.json() as Promise<Settings>)
      .then((s) => {
        setSettings(s);
        setAccount(s.account_hint ?? "");
      })
      .catch(() => setSettings({ tokens_required: true, account_hint: null }));
  }, []);
  if (!settings) return <p>…</p>;
  const accountProblem = (account && uuidProblem("account", account)) || null;
  return (
    <form
      class="sign-in"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSignIn({ accountId: account || null, token: token || null });
      }}
    >
      <h1>wakame-ts</h1>
      <Alert message={props.refused} />
      {settings.tokens_required && (
        <label>
          API token
          <input
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            required
          />
          <small>Ask the operator: vdc-manage token add --account-id a-…</small>
        </label>
      )}
      <label>
        Account {settings.tokens_required && "(optional: the token names it)"}
        <input
          value={account}
          onInput={(e) => setAccount(e.currentTarget.value.trim())}
          required={!settings.tokens_required}
          aria-invalid={accountProblem ? "true" : undefined}
        />
        {accountProblem && <small class="error">{accountProblem}</small>}
      </label>
      <button type="submit" disabled={accountProblem !== null}>
        Sign in
      </button>
    </form>
  );
}
