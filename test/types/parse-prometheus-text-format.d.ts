// The package ships no types. Its output is prom2json's: one entry per metric family, values as text.
declare module "parse-prometheus-text-format" {
  interface Sample {
    value: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
  }
  interface MetricFamily {
    name: string;
    help: string;
    type: "GAUGE" | "COUNTER" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: Sample[];
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
