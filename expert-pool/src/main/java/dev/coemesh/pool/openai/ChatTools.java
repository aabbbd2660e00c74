package dev.coemesh.pool.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.core.error.MeshException;
import java.util.List;

/**
 * The chat parameters that only an upstream expert serves: {@code tools}, {@code tool_choice},
 * {@code parallel_tool_calls} and {@code response_format}. They are checked for shape here, so a
 * malformed one is a 400 whatever expert the request is routed to, then copied verbatim into the
 * body an upstream receives. Their neutral values ({@code tools: []}, {@code tool_choice: "none"}
 * or {@code "auto"} without tools, {@code response_format: {"type":"text"}}) ask for nothing and
 * are served by every expert.
 */
final class ChatTools {
  /** OpenAI's limit on functions in one request. */
  static final int MAX_TOOLS = 128;

  private static final List<String> RESPONSE_FORMATS =
      List.of("text", "json_object", "json_schema");

  private ChatTools() {}

  /**
   * Reads the tool and format parameters of {@code json} into {@code body} (the upstream's copy)
   * and adds to {@code upstreamOnly} the ones that ask for something.
   */
  static void read(JsonBody json, ObjectNode body, List<String> upstreamOnly) {
    JsonNode tools = json.node("tools");
    boolean hasTools = tools != null && checkTools(json, tools) > 0;
    if (hasTools) {
      body.set("tools", tools);
      upstreamOnly.add("tools");
    }
    JsonNode choice = json.node("tool_choice");
    if (choice != null) {
      checkToolChoice(json, choice, hasTools);
      if (hasTools) {
        body.set("tool_choice", choice);
      }
    }
    Boolean parallel = json.bool("parallel_tool_calls");
    if (parallel != null && hasTools) {
      body.put("parallel_tool_calls", parallel);
    }
    JsonNode format = json.node("response_format");
    if (format != null && !checkResponseFormat(json, format).equals("text")) {
      body.set("response_format", format);
      upstreamOnly.add("response_format");
    }
  }

  /** The number of tools, each {@code {"type":"function","function":{"name":...}}}. */
  private static int checkTools(JsonBody json, JsonNode tools) {
    if (!tools.isArray()) {
      throw json.typeError("tools", "an array of tools", tools);
    }
    if (tools.size() > MAX_TOOLS) {
      throw MeshException.invalid(
          "tools", "'tools' holds " + tools.size() + " tools; at most " + MAX_TOOLS);
    }
    for (int i = 0; i < tools.size(); i++) {
      String param = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      if (!tool.isObject()) {
        throw MeshException.invalid(param, "'" + param + "' must be an object");
      }
      if (!"function".equals(tool.path("type").asText(null))) {
        throw MeshException.invalid(param + ".type", "'" + param + ".type' must be 'function'");
      }
      JsonNode function = tool.get("function");
      if (function == null || !function.isObject() || !function.path("name").isTextual()) {
        throw MeshException.invalid(
            param + ".function", "'" + param + ".function' must be an object with a 'name'");
      }
      JsonNode parameters = function.get("parameters");
      if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
        throw MeshException.invalid(
            param + ".function.parameters",
            "'" + param + ".function.parameters' must be a JSON Schema object");
      }
    }
    return tools.size();
  }

  /**
   * {@code "none"}, {@code "auto"}, {@code "required"} or a named function (the last two need
   * tools).
   */
  private static void checkToolChoice(JsonBody json, JsonNode choice, boolean hasTools) {
    boolean named =
        choice.isObject()
            && "function".equals(choice.path("type").asText(null))
            && choice.path("function").path("name").isTextual();
    boolean word =
        choice.isTextual() && List.of("none", "auto", "required").contains(choice.textValue());
    if (!named && !word) {
      throw MeshException.invalid(
          "tool_choice",
          "'tool_choice' must be \"none\", \"auto\", \"required\" or"
              + " {\"type\":\"function\",\"function\":{\"name\":...}}");
    }
    if (!hasTools && (named || choice.textValue().equals("required"))) {
      throw MeshException.invalid(
          "tool_choice", "'tool_choice' " + choice + " needs 'tools' to choose from");
    }
  }

  /** The format's type; {@code json_schema} needs a named schema. */
  private static String checkResponseFormat(JsonBody json, JsonNode format) {
    if (!format.isObject()) {
      throw json.typeError("response_format", "an object", format);
    }
    String type = format.path("type").asText("");
    if (!RESPONSE_FORMATS.contains(type)) {
      throw MeshException.invalid(
          "response_format.type",
          "'response_format.type' must be one of " + String.join(", ", RESPONSE_FORMATS));
    }
    if (type.equals("json_schema")
        && !(format.path("json_schema").isObject()
            && format.path("json_schema").path("name").isTextual())) {
      throw MeshException.invalid(
          "response_format.json_schema",
          "'response_format.json_schema' must be an object with a 'name' and a 'schema'");
    }
    return type;
  }
}
