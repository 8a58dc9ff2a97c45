import { Layout } from "./components";

/** The HTML counterpart of the JSON error shape: a heading, one sentence, and a way back. */
export function ErrorPage(props: { title: string; message: string; nonce: string | undefined }) {
  return (
    <Layout title={props.title} nonce={props.nonce}>
      <div class="card empty">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <p>
          <a href="/">Go to the list of tracked jobs</a>
        </p>
      </div>
    </Layout>
  );
}
