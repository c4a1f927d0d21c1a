// A modal dialog on the browser's own <dialog>: focus moves into it, Escape
// closes it, and the page behind cannot be clicked.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client.js";
import { Alert } from "./alert.js";

export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    d.showModal();
    return () => d.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "wide" : ""}
      aria-label={props.title}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header>
        <h2>{props.title}</h2>
        <button type="button" class="plain" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** Asks before an action that cannot be undone; the action's error stays in the dialog. */
export function Confirm(props: {
  title: string;
  message: ComponentChildren;
  action: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <p>{props.message}</p>
      <Alert message={error} />
      <footer>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await props.onConfirm();
              props.onClose();
            } catch (err) {
              setError((err as Error).message);
              setBusy(false);
            }
          }}
        >
          {props.action}
        </button>
      </footer>
    </Modal>
  );
}

/** Deleting a row of a list: asks, says what follows, calls the API, then reads the list again. */
export function ConfirmDelete(props: {
  id: string;
  /** The API path that deletes it, e.g. /ssh_key_pairs/ssh-xxxx. */
  path: string;
  consequence: string;
  onDeleted: () => Promise<void>;
  onClose: () => void;
}) {
  return (
    <Confirm
      title={`Delete ${props.id}?`}
      message={props.consequence}
      action="Delete"
      onConfirm={async () => {
        await api("DELETE", props.path);
        await props.onDeleted();
      }}
      onClose={props.onClose}
    />
  );
}
