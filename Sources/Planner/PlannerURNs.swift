import BeamCore

/// URNs of the transforms, coders, requirements and side-input patterns the
/// planner recognizes (beam_runner_api.proto's Standard* enums).
public enum TransformURNs {
    public static let impulse = "beam:transform:impulse:v1"
    public static let groupByKey = "beam:transform:group_by_key:v1"
    public static let flatten = "beam:transform:flatten:v1"
    public static let parDo = "beam:transform:pardo:v1"
    public static let windowInto = "beam:transform:window_into:v1"
    public static let combinePerKey = "beam:transform:combine_per_key:v1"
    public static let combinePrecombine = "beam:transform:combine_per_key_precombine:v1"
    public static let combineMergeAccumulators = "beam:transform:combine_per_key_merge_accumulators:v1"
    public static let combineExtractOutputs = "beam:transform:combine_per_key_extract_outputs:v1"
    public static let combineGroupedValues = "beam:transform:combine_grouped_values:v1"
    public static let combineGlobally = "beam:transform:combine_globally:v1"
    public static let reshuffle = "beam:transform:reshuffle:v1"
    public static let mapWindows = "beam:transform:map_windows:v1"
    public static let mergeWindows = "beam:transform:merge_windows:v1"
    public static let toString = "beam:transform:to_string:v1"
    public static let sdfPairWithRestriction = "beam:transform:sdf_pair_with_restriction:v1"
    public static let sdfSplitAndSize = "beam:transform:sdf_split_and_size_restrictions:v1"
    public static let sdfProcessSizedElements = "beam:transform:sdf_process_sized_element_and_restrictions:v1"
    public static let sdfTruncateSizedRestrictions = "beam:transform:sdf_truncate_sized_restrictions:v1"
    public static let testStream = "beam:transform:teststream:v1"
    public static let read = "beam:transform:read:v1"
    public static let runnerSource = "beam:runner:source:v1"
    public static let runnerSink = "beam:runner:sink:v1"
}

extension CoderURNs {
    /// Coders whose encoding the runner understands; any other coder is
    /// wrapped in a length prefix wherever the runner must split elements.
    public static let understood: Set<String> = [
        bytes, stringUTF8, varint, bool, double, kv, iterable, lengthPrefix,
        globalWindow, intervalWindow, windowedValue, paramWindowedValue, timer, nullable,
    ]
}

public enum RequirementURNs {
    public static let splittableDoFn = "beam:requirement:pardo:splittable_dofn:v1"
    public static let stateful = "beam:requirement:pardo:stateful:v1"
    public static let requiresStableInput = "beam:requirement:pardo:requires_stable_input:v1"
    public static let timeSortedInput = "beam:requirement:pardo:time_sorted_input:v1"
    public static let finalization = "beam:requirement:pardo:finalization:v1"
    public static let onWindowExpiration = "beam:requirement:pardo:on_window_expiration:v1"

    /// What a batch job on this runner can honour today.
    public static let supported: Set<String> = [splittableDoFn, stateful, requiresStableInput, finalization]
}

public enum SideInputURNs {
    public static let iterable = "beam:side_input:iterable:v1"
    public static let multimap = "beam:side_input:multimap:v1"
}

public enum WindowFnURNs {
    public static let global = "beam:window_fn:global_windows:v1"
    public static let fixed = "beam:window_fn:fixed_windows:v1"
    public static let sliding = "beam:window_fn:sliding_windows:v1"
    public static let sessions = "beam:window_fn:session_windows:v1"
}
