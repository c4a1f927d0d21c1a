// A dialog form's footer: why it cannot be sent yet (dcmgr's own rule, read
// out with the button), Cancel, and the submit button, held back while
// there is a reason or the request is under way.
export function FormFooter(props: {
  /** Why the form cannot be sent now, or null. */
  blocker: string | null;
  /** The reason's element id, for the button's aria-describedby and for tests. */
  blockerId: string;
  busy: boolean;
  action: string;
  onCancel: () => void;
}) {
  return (
    <footer>
      {props.blocker && (
        <span class="blocker" id={props.blockerId}>
          {props.blocker}
        </span>
      )}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button
        type="submit"
        class="primary"
        disabled={props.blocker !== null || props.busy}
        aria-describedby={props.blocker ? props.blockerId : undefined}
      >
        {props.action}
      </button>
    </footer>
  );
}
