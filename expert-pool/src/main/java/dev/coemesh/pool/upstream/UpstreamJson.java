package dev.coemesh.pool.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * JSON of the OpenAI wire format, through Jackson: request bodies are built as trees, and stream
 * chunks and error bodies read into {@code Map}/{@code List}/{@code String}/{@code Number}/{@code
 * Boolean}/null so that a peer's extra or missing fields never break parsing.
 */
final class UpstreamJson {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  private UpstreamJson() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static String write(ObjectNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialise", e);
    }
  }

  /** A JSON object the gateway already validated (a chat body); anything else is a bug. */
  static ObjectNode tree(String object) {
    try {
      return (ObjectNode) MAPPER.readTree(object);
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getMessage(), e);
    }
  }

  /** Parses one JSON value; anything malformed throws {@link IllegalArgumentException}. */
  static Object parse(String text) {
    try {
      return MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }
}
