package dev.coemesh.pool.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Serialises response records; they are plain records, so failure is a programming error. */
public final class Json {
  private Json() {}

  public static String write(ObjectMapper mapper, Object body) {
    try {
      return mapper.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + body.getClass().getSimpleName(), e);
    }
  }
}
