# One image, both programs: `palisade operator` (Deployment, runs as uid 65532) and
# `palisade agent` (DaemonSet, root with NET_ADMIN only), through the CLI's composition root
# dev.palisade.cli.Palisade. image/check-rootfs.sh checks the runtime stage's contents without a
# Docker engine, from the same image/install-runtime.sh.
#
#   docker build -t palisade:dev .
#   docker run --rm palisade:dev version
#
# The base images are build arguments: the offline kind bed (hack/kind-up.sh) passes images it made
# from Debian packages (a JDK with Maven and a Maven repository, and a bookworm root filesystem that
# already holds the runtime packages) with MAVEN_ARGS="-o -Dmaven.repo.local=...". No `# syntax`
# line: the Dockerfile frontend built into Docker 20.10 and later reads it, so nothing is pulled.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build: the CLI and everything it depends on, with Maven's cache kept between builds
FROM ${BUILD_IMAGE} AS build
ARG MAVEN_ARGS=""
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q ${MAVEN_ARGS} -DskipTests -pl cli -am package \
 && mkdir -p /out/lib \
 && cp cli/target/palisade.jar cli/target/lib/*.jar /out/lib/

# ---- runtime: Debian's JRE, libnftables1 and CNI plugins
FROM ${RUNTIME_IMAGE} AS runtime
COPY image/install-runtime.sh image/runtime-packages.txt /tmp/image/
RUN /tmp/image/install-runtime.sh && rm -rf /tmp/image
COPY --from=build /out/lib/ /opt/palisade/lib/
COPY image/palisade /usr/local/bin/palisade
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="palisade" \
      org.opencontainers.image.description="Kubernetes NetworkPolicy on nftables: operator and node agent" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# The operator's user; the chart runs the agent as root with NET_ADMIN instead.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/palisade"]
CMD ["--help"]
