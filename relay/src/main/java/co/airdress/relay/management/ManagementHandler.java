package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.attach.Attachment;
import co.airdress.relay.attach.KafkaAttachments;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.config.Operator;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.directory.OperatorJson;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.Readiness;
import co.airdress.relay.io.Sha256;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.wireguard.OperatorTunnel;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers one management request at a time. Health and metrics are answered on the event loop
 * from cached state; operator changes run on the {@link OperatorDirectory}'s own thread (they write
 * and fsync a file) and their response is written when they complete. Bodies are records written
 * by {@link JsonBodies}.
 *
 * <p>Requests wait (at most {@link #MAX_QUEUED}, then the connection is closed) while an answer is
 * pending or while the connection cannot take more output (a client that sends requests but does
 * not read the answers), so no connection makes the relay hold more than a few answers.
 */
final class ManagementHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "management";

    private static final Logger log = LoggerFactory.getLogger(ManagementHandler.class);

    private static final String JSON = "application/json; charset=utf-8";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPERATORS = "/v1/operators";
    private static final String OPERATORS_PREFIX = OPERATORS + "/";

    record Context(
            HealthState health,
            RelayMetrics metrics,
            OperatorDirectory operators,
            DrainCoordinator drain,
            byte @Nullable [] tokenDigest,
            @Nullable EventLoopGroup watchedLoops,
            @Nullable OperatorTunnel tunnel,
            ManagementConnections connections,
            @Nullable Supplier<StatusView> status,
            @Nullable KafkaAttachments attachments) {}

    /** POST /v1/drain's answer. */
    record DrainBody(Readiness status, @Nullable Instant drainStartedAt) {}

    /**
     * Pipelined requests waiting behind an operator change (responses must keep request order) or
     * for the client to read earlier answers.
     */
    static final int MAX_QUEUED = 8;

    private final Context context;
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
    // Event loop only: an operator change is running and its response not yet written.
    private boolean busy;

    ManagementHandler(Context context) {
        this.context = requireNonNull(context, "context");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!ctx.channel().isActive()) {
            // Decoded after a close (the rest of a pipelined batch): nobody to answer.
            request.release();
            return;
        }
        if (busy || !queued.isEmpty() || !ctx.channel().isWritable()) {
            if (queued.size() >= MAX_QUEUED) {
                request.release();
                context.connections().tooManyWaiting(ctx.channel());
                ctx.close();
                return;
            }
            queued.add(request);
            ctx.channel().config().setAutoRead(false);
            if (!busy && ctx.channel().isWritable()) {
                // Writable again before its event was handled: serve in order now.
                serveQueued(ctx);
            }
            return;
        }
        try {
            busy = handle(ctx, request);
        } finally {
            request.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        FullHttpRequest r;
        while ((r = queued.poll()) != null) {
            r.release();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!busy && ctx.channel().isWritable()) {
            serveQueued(ctx);
        }
        super.channelWritabilityChanged(ctx);
    }

    /** Called on the event loop once an operator change has answered. */
    private void resume(ChannelHandlerContext ctx) {
        busy = false;
        serveQueued(ctx);
    }

    /** Serves waiting requests while answers can be written; reads on once none waits. */
    private void serveQueued(ChannelHandlerContext ctx) {
        FullHttpRequest r;
        while (!busy && ctx.channel().isWritable() && (r = queued.poll()) != null) {
            try {
                busy = handle(ctx, r);
            } finally {
                r.release();
            }
        }
        if (!busy && ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Answers a request; returns true when the answer comes later (an operator change). */
    private boolean handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException
                    ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException
                            ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                            : HttpResponseStatus.BAD_REQUEST;
            respond(ctx, false, error(status, "malformed request"));
            return false;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        HttpMethod method = request.method();
        switch (path) {
            case "/", "/status" -> {
                if (allowed(ctx, keepAlive, method, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD)) {
                    respond(ctx, keepAlive, head(method, statusPage(path)));
                }
            }
            case "/livez" -> {
                if (allowed(ctx, keepAlive, method, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD)) {
                    return livez(ctx, keepAlive, method);
                }
            }
            case "/readyz" -> {
                if (allowed(ctx, keepAlive, method, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD)) {
                    ReadyzBody body = ReadyzBody.of(
                            context.health(),
                            context.operators().size(),
                            context.drain().activeConnections());
                    respond(
                            ctx,
                            keepAlive,
                            head(
                                    method,
                                    json(
                                            HttpResponseStatus.valueOf(
                                                    body.status().httpStatus()),
                                            body)));
                }
            }
            case "/metrics" -> {
                if (allowed(ctx, keepAlive, method, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD)) {
                    respond(
                            ctx,
                            keepAlive,
                            head(
                                    method,
                                    text(
                                            HttpResponseStatus.OK,
                                            PROMETHEUS,
                                            context.metrics().scrape())));
                }
            }
            case OPERATORS -> {
                if (allowed(ctx, keepAlive, method, "GET", HttpMethod.GET) && readable(ctx, keepAlive, request)) {
                    respond(
                            ctx,
                            keepAlive,
                            json(
                                    HttpResponseStatus.OK,
                                    new OperatorJson.OperatorList(
                                            context.operators().list().stream()
                                                    .map(OperatorJson::write)
                                                    .toList(),
                                            context.health().routeVersion())));
                }
            }
            case "/v1/peers" -> {
                if (allowed(ctx, keepAlive, method, "GET", HttpMethod.GET) && readable(ctx, keepAlive, request)) {
                    respond(ctx, keepAlive, json(HttpResponseStatus.OK, PeersJson.write(context.tunnel())));
                }
            }
            case "/v1/drain" -> {
                if (allowed(ctx, keepAlive, method, "POST", HttpMethod.POST) && authorized(ctx, keepAlive, request)) {
                    context.drain().start("POST /v1/drain");
                    respond(
                            ctx,
                            keepAlive,
                            json(
                                    HttpResponseStatus.ACCEPTED,
                                    new DrainBody(
                                            Readiness.DRAINING, context.health().drainStartedAt())));
                }
            }
            default -> {
                if (path.startsWith(OPERATORS_PREFIX) && path.length() > OPERATORS_PREFIX.length()) {
                    return operator(ctx, keepAlive, request, path.substring(OPERATORS_PREFIX.length()));
                } else {
                    respond(ctx, keepAlive, error(HttpResponseStatus.NOT_FOUND, "no such resource: " + path));
                }
            }
        }
        return false;
    }

    private boolean operator(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request, String name) {
        HttpMethod method = request.method();
        if (!allowed(ctx, keepAlive, method, "GET, PUT, DELETE", HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE)) {
            return false;
        }
        if (method.equals(HttpMethod.GET) && !readable(ctx, keepAlive, request)) {
            return false;
        }
        if (!NameRule.matches(name)) {
            respond(
                    ctx,
                    keepAlive,
                    error(
                            HttpResponseStatus.NOT_FOUND,
                            "no such operator: " + name + " (expected: " + NameRule.EXPECTATION + ")"));
            return false;
        }
        if (method.equals(HttpMethod.GET)) {
            Operator op = context.operators().get(name);
            respond(
                    ctx,
                    keepAlive,
                    op != null
                            ? json(HttpResponseStatus.OK, withAttachment(op))
                            : error(HttpResponseStatus.NOT_FOUND, "no such operator: " + name));
            return false;
        }
        if (!authorized(ctx, keepAlive, request)) {
            return false;
        }
        if (method.equals(HttpMethod.DELETE)) {
            context.operators()
                    .deleteAsync(name)
                    .whenComplete((deleted, failure) -> later(
                            ctx,
                            keepAlive,
                            failure != null
                                    ? failed(failure)
                                    : switch (deleted) {
                                        case OperatorDirectory.Delete.Deleted d -> empty(HttpResponseStatus.NO_CONTENT);
                                        case OperatorDirectory.Delete.NotFound n ->
                                            error(HttpResponseStatus.NOT_FOUND, "no such operator: " + name);
                                        case OperatorDirectory.Delete.Unavailable u ->
                                            error(HttpResponseStatus.SERVICE_UNAVAILABLE, u.message());
                                    }));
            return true;
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        Operator op;
        switch (OperatorJson.read(body)) {
            case OperatorJson.Body.Invalid invalid -> {
                respond(ctx, keepAlive, problems(invalid.problems()));
                return false;
            }
            case OperatorJson.Body.Ok ok -> op = ok.operator();
        }
        if (!op.name().equals(name)) {
            respond(
                    ctx,
                    keepAlive,
                    problems(List.of("operator.name: \"" + op.name() + "\" (expected: the name in the path, \"" + name
                            + "\")")));
            return false;
        }
        context.operators().putAsync(op).whenComplete((put, failure) -> {
            if (failure != null) {
                later(ctx, keepAlive, failed(failure));
                return;
            }
            later(
                    ctx,
                    keepAlive,
                    switch (put) {
                        case OperatorDirectory.Put.Created c ->
                            json(HttpResponseStatus.CREATED, OperatorJson.write(c.operator()));
                        case OperatorDirectory.Put.Updated u ->
                            json(HttpResponseStatus.OK, OperatorJson.write(u.operator()));
                        case OperatorDirectory.Put.Conflict c ->
                            json(HttpResponseStatus.CONFLICT, ErrorBody.conflict(c.conflict()));
                        case OperatorDirectory.Put.Invalid i -> problems(OperatorJson.text(i.problems()));
                        case OperatorDirectory.Put.Rejected r -> error(HttpResponseStatus.CONFLICT, r.message());
                        case OperatorDirectory.Put.Unavailable u ->
                            error(HttpResponseStatus.SERVICE_UNAVAILABLE, u.message());
                    });
        });
        return true;
    }

    // ---- health ----

    /**
     * Alive when this event loop answers and, if the data plane's loops are watched, each of them
     * runs a no-op task within the liveness timeout. Returns true when the answer comes later.
     */
    private boolean livez(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method) {
        EventLoopGroup loops = context.watchedLoops();
        if (loops == null) {
            respond(
                    ctx,
                    keepAlive,
                    head(method, json(HttpResponseStatus.OK, new LivezBody(Readiness.UP, pop(), 0, List.of()))));
            return false;
        }
        List<EventExecutor> executors = new ArrayList<>();
        loops.iterator().forEachRemaining(executors::add);
        boolean[] answered = new boolean[executors.size()];
        AtomicInteger pending = new AtomicInteger(executors.size());
        AtomicBoolean done = new AtomicBoolean();
        Runnable verdict = () -> {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            List<String> stuck = new ArrayList<>();
            synchronized (answered) {
                for (int i = 0; i < answered.length; i++) {
                    if (!answered[i]) {
                        stuck.add(EventLoopWatch.name(i));
                    }
                }
            }
            boolean up = stuck.isEmpty();
            later(
                    ctx,
                    keepAlive,
                    head(
                            method,
                            json(
                                    up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                                    new LivezBody(Readiness.upIf(up), pop(), executors.size(), stuck))));
        };
        ctx.executor().schedule(verdict, ManagementServer.LIVENESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < executors.size(); i++) {
            int index = i;
            try {
                executors.get(i).execute(() -> {
                    synchronized (answered) {
                        answered[index] = true;
                    }
                    if (pending.decrementAndGet() == 0) {
                        verdict.run();
                    }
                });
            } catch (RuntimeException e) {
                // Shut down or rejecting: it stays unanswered and shows as stuck.
            }
        }
        if (executors.isEmpty()) {
            verdict.run();
        }
        return true;
    }

    private String pop() {
        return context.health().pop();
    }

    /** The status page (unauthenticated, like /readyz, and without secrets), or 404 without one. */
    private FullHttpResponse statusPage(String path) {
        Supplier<StatusView> status = context.status();
        if (status == null) {
            return error(HttpResponseStatus.NOT_FOUND, "no such resource: " + path);
        }
        FullHttpResponse r = text(HttpResponseStatus.OK, StatusPage.CONTENT_TYPE, StatusPage.render(status.get()));
        r.headers().set("Content-Security-Policy", StatusPage.CONTENT_SECURITY_POLICY);
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set("Referrer-Policy", "no-referrer");
        return r;
    }

    // ---- auth ----

    /**
     * Reads of /v1 show operators' upstream addresses and peers' endpoints: with a token file they
     * need the token like changes do; without one they stay open (and changes are refused).
     */
    private boolean readable(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request) {
        return context.tokenDigest() == null || authorized(ctx, keepAlive, request);
    }

    private boolean authorized(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request) {
        byte[] expected = context.tokenDigest();
        if (expected == null) {
            respond(
                    ctx,
                    keepAlive,
                    error(
                            HttpResponseStatus.FORBIDDEN,
                            "mutating calls are disabled: management.token_file is not configured"));
            return false;
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String token = null;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = header.substring(7).strip();
        }
        // Digests have equal length, so the comparison time does not depend on the token's length
        // or on where it differs.
        if (token != null && MessageDigest.isEqual(Sha256.of(token), expected)) {
            return true;
        }
        FullHttpResponse r =
                error(HttpResponseStatus.UNAUTHORIZED, token == null ? "missing bearer token" : "invalid bearer token");
        r.headers()
                .set(
                        HttpHeaderNames.WWW_AUTHENTICATE,
                        token == null ? "Bearer realm=\"relay\"" : "Bearer realm=\"relay\", error=\"invalid_token\"");
        respond(ctx, keepAlive, r);
        return false;
    }

    private boolean allowed(
            ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, String allow, HttpMethod... methods) {
        if (Set.of(methods).contains(method)) {
            return true;
        }
        FullHttpResponse r =
                error(HttpResponseStatus.METHOD_NOT_ALLOWED, method + " not allowed (expected: " + allow + ")");
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        respond(ctx, keepAlive, r);
        return false;
    }

    // ---- responses ----

    private static FullHttpResponse failed(Throwable failure) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof OperatorDirectory.UnappliedEditException) {
            return error(HttpResponseStatus.CONFLICT, cause.getMessage());
        }
        log.error("operators change failed", cause);
        return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "change not applied: " + cause.getMessage());
    }

    private static FullHttpResponse problems(List<String> problems) {
        return json(HttpResponseStatus.BAD_REQUEST, ErrorBody.invalidOperator(problems));
    }

    private static FullHttpResponse error(HttpResponseStatus status, String message) {
        return json(status, ErrorBody.of(message));
    }

    /** A record (or a tree) as the JSON body. */
    /** The operator as the API shows it, with {@code "attachment": {"pop", "since", "local"}} or null. */
    private ObjectNode withAttachment(Operator op) {
        ObjectNode body = JsonBodies.MAPPER.valueToTree(OperatorJson.write(op));
        KafkaAttachments attachments = context.attachments();
        Attachment a = attachments == null ? null : attachments.attachments().attachment(op.name());
        if (a == null || attachments == null) {
            body.putNull("attachment");
        } else {
            body.putPOJO(
                    "attachment", new AttachmentBody(a.pop(), a.since(), a.pop().equals(attachments.pop())));
        }
        return body;
    }

    /** Where an operator's tunnel is attached, as GET /v1/operators/{name} shows it. */
    record AttachmentBody(String pop, Instant since, boolean local) {}

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        return text(status, JSON, JsonBodies.MAPPER.writeValueAsString(body) + "\n");
    }

    private static FullHttpResponse text(HttpResponseStatus status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, io.netty.buffer.Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    private static FullHttpResponse empty(HttpResponseStatus status) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, io.netty.buffer.Unpooled.EMPTY_BUFFER);
    }

    /** HEAD: same headers, no body. */
    private static FullHttpResponse head(HttpMethod method, FullHttpResponse r) {
        if (!method.equals(HttpMethod.HEAD)) {
            return r;
        }
        FullHttpResponse h = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                r.status(),
                io.netty.buffer.Unpooled.EMPTY_BUFFER,
                r.headers(),
                r.trailingHeaders());
        r.release();
        return h;
    }

    /** Writes an operator change's answer on the event loop, then serves queued requests. */
    private void later(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                r.release();
                return;
            }
            respond(ctx, keepAlive, r);
            resume(ctx);
        });
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        // Health answers steer routing: never let a proxy or client reuse one.
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (!r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        }
        if (keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(r);
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("management connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
