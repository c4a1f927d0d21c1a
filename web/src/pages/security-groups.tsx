// Security groups: their rules, and an editor that checks every line as it
// is typed with the parser dcmgr itself uses, so its messages are the API's.
// What only the store can tell (does a source group exist?) comes back
// from the save.
import { useState } from "preact/hooks";
import { checkRuleLines } from "../../../src/model/security-group-rules.js";
import { api } from "../api/client.js";
import type { SecurityGroup } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { ConfirmDelete, Modal } from "../components/modal.js";
import { rdpRule } from "../launch/launch-rules.js";
import { useList } from "../state/resource.js";

function RuleEditor(props: { group: SecurityGroup | null; onDone: () => void }) {
  const [name, setName] = useState(props.group?.display_name ?? "");
  const [rule, setRule] = useState(props.group?.rule ?? `${rdpRule}\n`);
  const [error, setError] = useState("");
  const problems = checkRuleLines(rule).flatMap((r) => ("problem" in r ? [r] : []));
  return (
    <Modal title={props.group ? `Edit ${props.group.id}` : "New security group"} onClose={props.onDone}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const body = { rule, ...(name && { display_name: name }) };
            if (props.group) await api("PUT", `/security_groups/${props.group.id}`, body);
            else await api("POST", "/security_groups", body);
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
          Rules, one a line: PROTO:FROM,TO,SOURCE (# starts a comment)
          <textarea
            name="rule"
            rows={6}
            spellcheck={false}
            value={rule}
            onInput={(e) => {
              setRule(e.currentTarget.value);
              setError("");
            }}
            aria-invalid={problems.length ? "true" : undefined}
            aria-describedby="rule-problems"
          />
        </label>
        <ul id="rule-problems" class="problems" aria-live="polite">
          {problems.map((p) => (
            <li class="error" data-line={p.line}>
              {p.problem}
            </li>
          ))}
        </ul>
        <Alert message={error} />
        <footer>
          <button type="button" onClick={props.onDone}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={problems.length > 0}>
            Save
          </button>
        </footer>
      </form>
    </Modal>
  );
}

export function SecurityGroupsPage() {
  const groups = useList<SecurityGroup>("/security_groups");
  const [editing, setEditing] = useState<SecurityGroup | "new" | null>(null);
  const [deleting, setDeleting] = useState<SecurityGroup | null>(null);
  return (
    <section>
      <header class="page">
        <h1>Security groups</h1>
        <button type="button" class="primary" onClick={() => setEditing("new")}>
          New group
        </button>
      </header>
      {groups.error && <p class="error">{groups.error}</p>}
      <table class="list" aria-label="Security groups">
        <thead>
          <tr>
            <th>Group</th>
            <th>Rules</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(groups.rows ?? []).map((g) => (
            <tr key={g.id}>
              <td>
                {g.id}
                <div class="sub">{g.display_name}</div>
              </td>
              <td>
                <pre>{g.rule}</pre>
              </td>
              <td>
                <button type="button" class="small" onClick={() => setEditing(g)}>
                  Edit
                </button>{" "}
                <button type="button" class="danger small" onClick={() => setDeleting(g)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <RuleEditor
          group={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            void groups.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete
          id={deleting.id}
          path={`/security_groups/${deleting.id}`}
          consequence="Instances in it keep their rules until they stop."
          onDeleted={groups.reload}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
