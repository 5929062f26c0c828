// Data of one run that stays current: fetched now, and again whenever the stream says the run changed.

import { useCallback, useEffect, useState } from "./vendor/preact-htm.standalone.js";
import { onRunsChanged } from "./api.js";

/** { data, error } for fetchRun(runId); a failed refetch keeps the last data beside its error. */
export function useRunData(runId, fetchRun, refreshMs) {
  const [state, setState] = useState({ data: null, error: null });
  const load = useCallback(async () => {
    try {
      setState({ data: await fetchRun(runId), error: null });
    } catch (err) {
      setState((previous) => ({ data: previous.data, error: err.message }));
    }
  }, [runId]);
  useEffect(() => {
    load();
  }, [load]);
  useEffect(() => onRunsChanged([runId], load, refreshMs), [runId, load]);
  return state;
}
