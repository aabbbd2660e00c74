package dev.coemesh.routerservice;

import dev.coemesh.core.error.ErrorBody;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every REST error as OpenAI shapes it: {@code {"error":{"message","type","param","code"}}}. */
public class RestErrorMapper {

  @ServerExceptionMapper
  public Response mesh(MeshException e) {
    return Response.status(e.code().httpStatus())
        .type(MediaType.APPLICATION_JSON)
        .entity(e.toBody())
        .build();
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    if (e instanceof NotFoundException) {
      ErrorBody body =
          new ErrorBody(
              new ErrorBody.Error(
                  "Unknown request URL (this service serves POST /v1/route and GET /v1/routing)",
                  "invalid_request_error",
                  null,
                  "unknown_url"));
      return Response.status(404).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
    ErrorCode code = status >= 500 ? ErrorCode.INTERNAL : ErrorCode.INVALID_REQUEST;
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(ErrorBody.of(code, e.getMessage(), null))
        .build();
  }
}
