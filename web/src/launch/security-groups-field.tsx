// The launch's security groups, as checkboxes. For a Windows image that no
// chosen group opens remote desktop to, it says so and offers a group of the
// account that does, or to create one.
import { api } from "../api/client.js";
import type { SecurityGroup } from "../api/types.js";
import type { Resource } from "../state/resource.js";
import { FieldError } from "./launch-field.js";
import { opensRdp, rdpRule } from "./launch-rules.js";

/** A change to the chosen groups, made from the latest choice: a group is created while the user may click on. */
type ChosenUpdate = (update: (chosen: string[]) => string[]) => void;

export function SecurityGroupsField(props: {
  groups: Resource<SecurityGroup>;
  chosen: string[];
  onChange: ChosenUpdate;
  windows: boolean;
  error: string | undefined;
  onError: (message: string) => void;
}) {
  const rows = props.groups.rows ?? [];
  const add = (id: string) => props.onChange((c) => [...c, id]);
  const rdpMissing = props.windows && !rows.some((g) => props.chosen.includes(g.id) && opensRdp(g));
  const rdpGroup = rows.find(opensRdp);

  const createRdpGroup = async () => {
    try {
      const g = await api<SecurityGroup>("POST", "/security_groups", {
        rule: rdpRule,
        display_name: "remote desktop",
        description: "RDP from anywhere, for Windows instances",
      });
      await props.groups.reload();
      add(g.id);
    } catch (err) {
      props.onError((err as Error).message);
    }
  };

  return (
    <fieldset>
      <legend>Security groups</legend>
      {rows.length === 0 && <small>No security groups yet.</small>}
      {rows.map((g) => (
        <label class="inline">
          <input
            type="checkbox"
            name="security_groups"
            value={g.id}
            checked={props.chosen.includes(g.id)}
            onChange={(e) =>
              e.currentTarget.checked ? add(g.id) : props.onChange((c) => c.filter((x) => x !== g.id))
            }
          />
          {g.display_name ?? g.id} <code>{g.rule.split("\n").filter(Boolean).join("; ")}</code>
        </label>
      ))}
      {rdpMissing && (
        <p class="hint" role="note">
          No chosen group opens tcp 3389, so remote desktop will not reach this Windows instance.{" "}
          {rdpGroup ? (
            <button type="button" class="small" onClick={() => add(rdpGroup.id)}>
              Add {rdpGroup.display_name ?? rdpGroup.id}
            </button>
          ) : (
            <button type="button" class="small" onClick={createRdpGroup}>
              Create a group with {rdpRule}
            </button>
          )}
        </p>
      )}
      <FieldError for="security_groups" message={props.error} />
    </fieldset>
  );
}
