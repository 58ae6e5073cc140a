package dev.mcpsandbox.tools.bridge;

/**
 * Why a bridge request was refused, with the JSON-RPC code and the {@code data.reason} of
 * docs/bridge-protocol.md. The order here is the order the checks run.
 */
public enum Refusal {
    PARSE_ERROR(-32700, "parse_error"),
    INVALID_REQUEST(-32600, "invalid_request"),
    UNKNOWN_METHOD(-32601, "unknown_method"),
    INVALID_PARAMS(-32602, "invalid_params"),
    UNKNOWN_TOOL(-32010, "unknown_tool"),
    DENIED(-32011, "denied"),
    INVALID_ARGUMENTS(-32012, "invalid_arguments"),
    BUDGET_EXHAUSTED(-32013, "budget_exhausted"),
    DECLINED(-32014, "declined"),
    UNAVAILABLE(-32015, "unavailable"),
    TOOL_ERROR(-32016, "tool_error");

    private final int code;
    private final String reason;

    Refusal(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }
}
