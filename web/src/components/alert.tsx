// An error said where it happened, announced to screen readers; nothing when there is none.
export function Alert(props: { message: string | null | undefined }) {
  return props.message ? (
    <p class="error" role="alert">
      {props.message}
    </p>
  ) : null;
}
