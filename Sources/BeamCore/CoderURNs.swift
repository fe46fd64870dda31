/// URNs of the standard coders the runner understands (beam_runner_api.proto,
/// StandardCoders). Used by `CoderSpec.fromURN` and by the planner when it builds
/// or length-prefixes coders.
public enum CoderURNs {
    public static let bytes = "beam:coder:bytes:v1"
    public static let stringUTF8 = "beam:coder:string_utf8:v1"
    public static let varint = "beam:coder:varint:v1"
    public static let bool = "beam:coder:bool:v1"
    public static let double = "beam:coder:double:v1"
    public static let kv = "beam:coder:kv:v1"
    public static let iterable = "beam:coder:iterable:v1"
    public static let lengthPrefix = "beam:coder:length_prefix:v1"
    public static let globalWindow = "beam:coder:global_window:v1"
    public static let intervalWindow = "beam:coder:interval_window:v1"
    public static let windowedValue = "beam:coder:windowed_value:v1"
    public static let paramWindowedValue = "beam:coder:param_windowed_value:v1"
    public static let timer = "beam:coder:timer:v1"
    public static let nullable = "beam:coder:nullable:v1"
}
