// What every field of the Launch Instance dialog takes, and the API error
// shown under the field it names (the error's `field`), announced to screen
// readers.
import type { LaunchField } from "./launch-rules.js";

export type LaunchErrors = Partial<Record<LaunchField, string>>;

export interface FieldProps {
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}

export function FieldError(props: { for: LaunchField; message: string | undefined }) {
  return props.message ? (
    <small class="error" role="alert" id={`${props.for}-error`}>
      {props.message}
    </small>
  ) : null;
}
