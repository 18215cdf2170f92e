// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: a socket-level fuzzer against a running gicd-server binary
 * (docs/fuzzing.md, "Socket-level fuzzer").
 *
 * It starts the real daemon, attaches a VM (2 vCPUs, 64 SPIs, one ITS, one
 * RAM region) and runs cases: mutated datagrams on the MMIO channels and the
 * bus, file descriptors where none belong, abusive Hellos on the control
 * socket (wrong fd kinds, fd counts, mutated messages), connection abuse,
 * SPI and ITS flows driven to depth (the fuzzer plays a minimal agent), and
 * now and then a hang-up or half-close (documented detaches).  After every
 * case the daemon must be alive and must still serve a well-formed channel
 * exactly: a fence read of GICD_IIDR, GICD_TYPER unchanged, a write and read
 * back of a GICD_IPRIORITYR byte; it must hold no more fds than after the
 * attach and its log must hold no sanitizer report.
 *
 * Every case is a list of actions (send this datagram with these kinds of fd
 * on that channel, connect and send this Hello, ...), generated from
 * (seed, case number) and executed by one executor; a failing case is saved
 * as its actions plus the channels' sequence numbers at its start, and
 * --replay FILE runs it again against a fresh daemon.
 *
 * The fuzzer keeps the daemon's sequencing in step by predicting, for every
 * datagram it sends, whether the daemon consumes a sequence number: it runs
 * the same decode and validation (common/wire.c) and the rules of
 * docs/protocol.md ("Sequence numbers", "Rejections").  A wrong prediction
 * shows up as a health check that gets no reply or a wrong one: a failure
 * either way, of the daemon or of the documentation.
 */
#include "sockfuzz.h"

/* ------------------------------------------------------------- execution */

void fail(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	if (o->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
}

/*
 * Waits for the Welcome on a control connection; its status, -1 if the
 * daemon closed the connection without one (refused at accept), -2 if
 * nothing came in time.
 */
static int read_welcome(struct fvm *v, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	Sg__Envelope *env;
	int fds[1];
	unsigned nfds;
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		return -2;
	n = sg_wire_recv(fd, v->rx, sizeof(v->rx), fds, 0, &nfds);
	if (n <= 0)
		return -1;
	if (sg_wire_decode(v->rx, (size_t)n, &v->arena, &env) != SG_WIRE_OK ||
	    env->body_case != SG__ENVELOPE__BODY_WELCOME)
		return -3;
	return (int)env->welcome->status;
}

static void run_hello(struct fvm *v, const struct action *a, bool attached, struct outcome *o)
{
	struct fdset fs;
	int fd = connect_control(&v->d), rc, stv;

	if (fd < 0) {
		/* Refused: the daemon keeps at most 32 waiting connections, and
		 * the listen backlog may be full of our idle ones. */
		if (errno != EAGAIN && errno != ECONNREFUSED && !o->detach_ok)
			fail(o, "connect to the control socket: %s", strerror(errno));
		return;
	}
	if (a->flags & HF_NOTHING) {
		close(fd);
		return;
	}
	if (a->flags & HF_SHUT_WR)
		shutdown(fd, SHUT_WR);
	fdset_make(&fs, a->fds, a->nfds);
	rc = send_dgram(fd, a->data, a->len, fs.fd, fs.n, a->flags & HF_CREDS);
	fdset_sent(&fs);
	if (rc < 0 || (a->flags & HF_NO_WAIT)) {
		close(fd);
		fdset_end(&fs);
		return;
	}
	stv = read_welcome(v, fd);
	close(fd);
	if (stv == -2)
		fail(o, "no Welcome within %d ms", WAIT_MS);
	else if (stv == -3)
		fail(o, "the control connection got something other than a Welcome");
	else if (stv >= 0)
		st.hellos_answered++;
	if (stv == SG__WELCOME__STATUS__OK && attached)
		fail(o, "a second VM was attached while one was (Welcome OK)");
	if (stv == SG__WELCOME__STATUS__OK && !attached) {
		/* The fuzzer's Hello was good: that VM goes when its channels
		 * close, which ends this daemon (a detach). */
		o->detach_ok = true;
	}
	fdset_end(&fs);
}

static void run_conns(struct fvm *v, const struct action *a, struct outcome *o)
{
	int fds[64];
	unsigned n = a->len > 64 ? 64 : a->len;

	for (unsigned i = 0; i < n; i++) {
		fds[i] = connect_control(&v->d);
		if (fds[i] < 0)
			continue;
		switch (a->data[i] % CB_NR) {
		case CB_HANGUP:
			close(fds[i]);
			fds[i] = -1;
			break;
		case CB_JUNK: send_dgram(fds[i], "\xff\xff\xff", 3, NULL, 0, false); break;
		case CB_EMPTY: send_dgram(fds[i], "", 0, NULL, 0, false); break;
		default: break;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if ((a->flags & 1) && (a->data[i] % CB_NR) == CB_IDLE && v->nr_idle < MAX_IDLE) {
			v->idle[v->nr_idle++] = fds[i];
			v->idle_ttl = a->flags & 2 ? 3000 : 3;
		} else {
			close(fds[i]);
		}
	}
	(void)o;
}

/*
 * ITS commands into the command queue in guest RAM (4 KiB at RAM_GPA; the
 * device table at +64 KiB, the collection table at +128 KiB, ITTs from
 * +192 KiB), then GITS_CWRITER; or (flags 1) bytes written over guest RAM.
 */
static void run_its(struct fvm *v, const struct action *a, struct outcome *o)
{
	uint64_t its = v->shape.map.its_base[0], val;
	const char *why = NULL;
	uint64_t rd = 0;
	size_t n = a->len / GITS_CMD_SIZE;

	if (a->flags & 1) {
		uint64_t off;

		if (a->len < 8)
			return;
		memcpy(&off, a->data, 8);
		if (off < RAM_SIZE &&
		    pwrite(v->ram_fd, a->data + 8,
			   a->len - 8 > RAM_SIZE - off ? RAM_SIZE - off : a->len - 8,
			   (off_t)off) < 0)
			fail(o, "writing guest RAM: %s", strerror(errno));
		return;
	}
	if (!v->its_ready) {
		uint64_t regs[][2] = {
			{ GITS_BASER, GITS_BASER_VALID | (RAM_GPA + 0x10000) | 3 },
			{ GITS_BASER + 8, GITS_BASER_VALID | (RAM_GPA + 0x20000) },
			{ GITS_CBASER, GITS_CBASER_VALID | RAM_GPA },
			{ GITS_CTLR, GITS_CTLR_ENABLED },
		};

		for (unsigned i = 0; i < 4 && !why; i++) {
			val = regs[i][1];
			why = mmio_at(v, 0, its + regs[i][0], i == 3 ? 4 : 8, true, true, &val);
		}
		v->its_ready = true;
	}
	if (!why)
		why = mmio_at(v, 0, its + GITS_CREADR, 8, false, false, &rd);
	if (!why && (rd & GITS_CREADR_STALLED)) {
		/* A command error stalled the queue: start it afresh, as a
		 * guest's driver would (disable, CBASER, enable). */
		uint64_t regs[][2] = { { GITS_CTLR, 0 },
				       { GITS_CBASER, GITS_CBASER_VALID | RAM_GPA },
				       { GITS_CTLR, GITS_CTLR_ENABLED } };

		for (unsigned i = 0; i < 3 && !why; i++) {
			val = regs[i][1];
			why = mmio_at(v, 0, its + regs[i][0], i == 1 ? 8 : 4, true, true, &val);
		}
		rd = 0;
	}
	if (why) {
		fail(o, "%s", why);
		return;
	}
	rd &= 0xFE0u; /* the offset in the 4 KiB queue */
	for (size_t i = 0; i < n; i++) {
		uint64_t off = (rd + i * GITS_CMD_SIZE) % 4096u;

		if (pwrite(v->ram_fd, a->data + i * GITS_CMD_SIZE, GITS_CMD_SIZE, (off_t)off) < 0) {
			fail(o, "writing the command queue: %s", strerror(errno));
			return;
		}
	}
	val = (rd + n * GITS_CMD_SIZE) % 4096u;
	why = mmio_at(v, 0, its + GITS_CWRITER, 8, true, true, &val);
	if (why)
		fail(o, "%s", why);
}

/*
 * A well-formed message generated in sequence, renumbered to follow what
 * the channel has now (agent responses take bus numbers meanwhile).
 * Returns the length of the renumbered datagram in *out.
 */
static size_t reseq(struct fvm *v, unsigned chan, const unsigned char *in, size_t len,
		    const unsigned char **out)
{
	static unsigned char buf[SG_WIRE_MAX];
	uint64_t next = v->last[chan] + 1;
	Sg__Envelope *env;
	ssize_t n;

	*out = in;
	if (sg_wire_decode(in, len, &v->arena, &env) != SG_WIRE_OK)
		return len;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			if (sg_wire_body_is_sequenced(env->batch->msgs[i]->body_case))
				env->batch->msgs[i]->seq = next++;
	} else if (sg_wire_body_is_sequenced(env->body_case)) {
		env->seq = next;
	}
	n = sg_wire_pack(env, buf, sizeof(buf));
	if (n < 0)
		return len;
	*out = buf;
	return (size_t)n;
}

static void run_case(struct fvm *v, struct fcase *c, struct outcome *o)
{
	bool attached = true;
	char line[1024];

	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < c->nr && !o->why[0]; i++) {
		struct action *a = &c->act[i];

		switch (a->op) {
		case ACT_SEND: {
			struct fdset fs;
			unsigned chan = a->chan % (v->shape.nr_vcpus + 1);
			const unsigned char *data = a->data;
			size_t len = a->len;
			int rc;

			if (!attached)
				break;
			if (a->flags & AF_RESEQ)
				len = reseq(v, chan, a->data, a->len, &data);
			fdset_make(&fs, a->fds, a->nfds);
			rc = send_dgram(chan_fd(v, chan), data, len, fs.fd, fs.n,
					a->flags & HF_CREDS);
			fdset_end(&fs);
			st.datagrams++;
			if (rc < 0) {
				fail(o, "send on channel %u: %s", chan, strerror(-rc));
				break;
			}
			predict(v, chan, data, len, a->nfds);
			/* Keep the daemon's output moving: it never blocks, we must read. */
			if (drain_all(v) < 0)
				fail(o, "a channel closed under the fuzzer");
			break;
		}
		case ACT_HELLO: run_hello(v, a, attached, o); break;
		case ACT_CONNS: run_conns(v, a, o); break;
		case ACT_HANGUP:
			if (!attached)
				break;
			close(chan_fd(v, a->chan % (v->shape.nr_vcpus + 1)));
			if (a->chan % (v->shape.nr_vcpus + 1) < v->shape.nr_vcpus)
				v->att.mmio_fd[a->chan % (v->shape.nr_vcpus + 1)] = -1;
			else
				v->att.bus_fd = -1;
			o->detach_ok = true;
			if (daemon_wait(&v->d) != 0)
				fail(o, "gicd-server exited with code %d after a hang-up",
				     daemon_wait(&v->d));
			else if (!log_contains(&v->d, "detached"))
				fail(o, "gicd-server exited after a hang-up without saying so");
			attached = false;
			break;
		case ACT_ITS:
			if (attached)
				run_its(v, a, o);
			break;
		case ACT_SHUTRD: {
			unsigned chan = a->chan % (v->shape.nr_vcpus + 1);
			uint64_t zero = 0;
			int code;

			if (!attached)
				break;
			/* The daemon's sends on this channel now fail (EPIPE) while
			 * its reads see no hang-up.  One applied message makes it
			 * send (Durable, after its commit): docs/gicd-server.md,
			 * "Detach": a failure to send detaches the VM, exit 0. */
			shutdown(chan_fd(v, chan), SHUT_RD);
			o->detach_ok = true;
			if (chan < v->shape.nr_vcpus) {
				mmio(v, chan, GICD_IIDR, 4, true, true, &zero);
			} else {
				Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
				Sg__Envelope e;

				l.intid = GIC_SPI_BASE;
				sg_envelope_init(&e);
				e.seq = ++v->last[chan];
				e.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
				e.spi_level = &l;
				send_env(chan_fd(v, chan), &e);
			}
			code = daemon_wait(&v->d);
			if (code != 0)
				fail(o,
				     "gicd-server did not detach (exit code %d) after its sends on "
				     "channel %u failed",
				     code, chan);
			else if (!log_contains(&v->d, "detached"))
				fail(o, "gicd-server exited after a failed send without saying so");
			attached = false;
			break;
		}
		case ACT_FRESH:
			o->detach_ok = true;
			restart(v, false, o);
			attached = false;
			break;
		default: break;
		}
	}
	if (o->why[0])
		return;
	if (!attached || o->detach_ok) {
		/* A documented detach; a fresh daemon takes over. */
		if (daemon_exited(&v->d) && !o->detach_ok)
			fail(o, "gicd-server exited");
		if (attached)
			fvm_detach(v); /* a good fuzz Hello attached a VM: end it */
		st.detaches++;
		restart(v, true, o);
		if (o->why[0])
			return;
		o->restarted = true;
	} else if (daemon_exited(&v->d)) {
		int code = daemon_wait(&v->d);

		fail(o, "gicd-server exited (code %d%s) in a case that must not detach it", code,
		     log_contains(&v->d, "detached") ? ", after detaching the VM" : "");
		return;
	}
	check_health(v, o, c->index);
	if (!o->why[0] && log_scan(&v->d, line, sizeof(line)))
		fail(o, "daemon log: %s", line);
}

/* ------------------------------------------------------- artifacts, replay */

static bool write_all(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n;
}

static void save_artifact(const struct fcase *c, const struct fvm *v, const char *dir, char *path,
			  size_t plen)
{
	FILE *f;
	char cmd[1024];

	snprintf(path, plen, "%s/sockfuzz-%" PRIu64 "-%" PRIu64 ".sfz", dir, c->seed, c->index);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "gicd-sockfuzz: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "%sseed %" PRIu64 " case %" PRIu64 " kind %s actions %u channels %u\nbase",
		ARTIFACT_MAGIC, c->seed, c->index, c->kind, c->nr, v->shape.nr_vcpus + 1);
	for (unsigned i = 0; i <= v->shape.nr_vcpus; i++)
		fprintf(f, " %" PRIu64, c->base[i]);
	fputc('\n', f);
	for (unsigned i = 0; i < c->nr; i++) {
		const struct action *a = &c->act[i];

		fprintf(f, "act %u %u %u %u %u\n", a->op, a->chan, a->flags, a->nfds, a->len);
		write_all(f, a->fds, a->nfds);
		write_all(f, a->data, a->len);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.log' 2>/dev/null", v->d.log, path);
	if (system(cmd) != 0)
		fprintf(stderr, "gicd-sockfuzz: could not copy the daemon log\n");
}

static bool load_artifact(const char *path, struct fcase *c, unsigned *nch)
{
	FILE *f = fopen(path, "rb");
	char magic[16] = "", kind[32] = "";
	bool ok = false;

	memset(c, 0, sizeof(*c));
	if (!f)
		return false;
	if (!fgets(magic, sizeof(magic), f) || strcmp(magic, ARTIFACT_MAGIC) != 0 ||
	    fscanf(f, "seed %" SCNu64 " case %" SCNu64 " kind %31s actions %u channels %u\nbase",
		   &c->seed, &c->index, kind, &c->nr, nch) != 5 ||
	    *nch > SG_MAX_VCPUS + 1 || c->nr > MAX_ACTIONS)
		goto out;
	for (unsigned i = 0; i < *nch; i++)
		if (fscanf(f, " %" SCNu64, &c->base[i]) != 1)
			goto out;
	for (unsigned i = 0; i < c->nr; i++) {
		struct action *a = &c->act[i];
		unsigned op, chan, flags, nfds, len;

		if (fscanf(f, "\nact %u %u %u %u %u", &op, &chan, &flags, &nfds, &len) != 5 ||
		    fgetc(f) != '\n' || nfds > MAX_FDSPEC || len > 4 * SG_WIRE_MAX ||
		    op >= ACT_NR_OPS) {
			c->nr = i;
			goto out;
		}
		a->op = (uint8_t)op;
		a->chan = (uint8_t)chan;
		a->flags = (uint16_t)flags;
		a->nfds = (uint16_t)nfds;
		a->len = len;
		a->data = malloc(len ? len : 1);
		if (!a->data || fread(a->fds, 1, nfds, f) != nfds ||
		    fread(a->data, 1, len, f) != len) {
			c->nr = i + 1;
			goto out;
		}
	}
	ok = true;
out:
	fclose(f);
	c->kind = "replay";
	return ok;
}

/* Brings a fresh VM's channels to the sequence numbers a saved case started
 * from: harmless in-sequence messages (a write to the read-only GICD_IIDR,
 * SPI 32's line low). */
static void advance_to(struct fvm *v, const uint64_t *base)
{
	for (unsigned ch = 0; ch < v->shape.nr_vcpus; ch++)
		while (v->last[ch] < base[ch]) {
			uint64_t zero = 0;

			if (mmio(v, ch, GICD_IIDR, 4, true, true, &zero))
				return;
			if ((v->last[ch] & 1023) == 0)
				drain_all(v);
		}
	while (v->last[v->shape.nr_vcpus] < base[v->shape.nr_vcpus]) {
		Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
		Sg__Envelope e;

		l.intid = GIC_SPI_BASE;
		sg_envelope_init(&e);
		e.seq = ++v->last[v->shape.nr_vcpus];
		e.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		e.spi_level = &l;
		if (!send_env(v->att.bus_fd, &e))
			return;
		if ((v->last[v->shape.nr_vcpus] & 1023) == 0)
			drain_all(v);
	}
	drain_all(v);
}

static int replay_file(struct fvm *v, const char *path)
{
	struct fcase c;
	struct outcome o;
	unsigned nch = 0;

	if (!load_artifact(path, &c, &nch) || nch != v->shape.nr_vcpus + 1) {
		fprintf(stderr, "gicd-sockfuzz: %s: not a sockfuzz artifact\n", path);
		case_free(&c);
		return 2;
	}
	advance_to(v, c.base);
	run_case(v, &c, &o);
	case_free(&c);
	if (o.why[0]) {
		fprintf(stderr, "gicd-sockfuzz: replay of %s FAILED: %s\n", path, o.why);
		return 1;
	}
	printf("replay %s: ok\n", path);
	return 0;
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr,
		"usage: gicd-sockfuzz [options] [GICD_SERVER]\n"
		"  --seed N          first seed (default: from the clock; printed)\n"
		"  --cases K         stop after K cases\n"
		"  --seconds S       stop after S seconds (default 10 unless --cases)\n"
		"  --replay FILE     run a saved case (repeatable); no fuzzing unless\n"
		"                    --cases or --seconds is given too\n"
		"  --regress DIR     replay every *.sfz in DIR first\n"
		"  --artifacts DIR   where failing cases are saved (default .)\n"
		"  --save N          also save case N (passing or not): a regression input\n"
		"  --verbose         one line per case\n"
		"The daemon: the argument, else $GICD_SERVER, else the one built with this.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "cases", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "replay", required_argument, NULL, 'r' },
		{ "regress", required_argument, NULL, 'R' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "save", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replays[64], *regress = NULL, *artifacts = ".";
	unsigned nr_replays = 0;
	uint64_t seed = 0, max_cases = 0, save_case = UINT64_MAX;
	double seconds = 0;
	bool have_seed = false;
	static struct fvm v;
	struct timespec t0, t1;
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'c': max_cases = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'r':
			if (nr_replays < 64)
				replays[nr_replays++] = optarg;
			break;
		case 'R': regress = optarg; break;
		case 'a': artifacts = optarg; break;
		case 'v': verbose++; break;
		case 'S': save_case = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	server_path = optind < argc ? argv[optind] : getenv("GICD_SERVER");
	if (!server_path || !server_path[0])
		server_path = GICD_SERVER_PATH;
	if (!server_path[0] || access(server_path, X_OK) != 0)
		die("no gicd-server to run (argument or GICD_SERVER): %s",
		    server_path[0] ? server_path : "(none)");
	if (!have_seed) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		seed = (uint64_t)now.tv_sec * 1000003u ^ (uint64_t)now.tv_nsec ^ (uint64_t)getpid();
	}
	if (!max_cases && seconds <= 0 && !nr_replays && !regress)
		seconds = 10;
	/* A sanitizer report in the daemon must end it with a failure. */
	setenv("UBSAN_OPTIONS",
	       getenv("UBSAN_OPTIONS") ?: "halt_on_error=1:abort_on_error=1:print_stacktrace=1", 1);
	setenv("ASAN_OPTIONS", getenv("ASAN_OPTIONS") ?: "abort_on_error=1:detect_leaks=1", 1);
	signal(SIGPIPE, SIG_IGN);
	{
		/* 253 fds in one datagram, each with a kept peer: room for them. */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	sg_arena_init(&v.arena, v.arena_buf, sizeof(v.arena_buf));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("gicd-sockfuzz: daemon %s, seed %" PRIu64 "\n", server_path, seed);

	fvm_start(&v, true);
	if (regress) {
		DIR *dd = opendir(regress);
		struct dirent *e;
		char p[1024];

		if (!dd)
			die("%s: %s", regress, strerror(errno));
		while ((e = readdir(dd)) && !rc) {
			size_t l = strlen(e->d_name);
			struct outcome o = { 0 };

			if (l < 5 || strcmp(e->d_name + l - 4, ".sfz") != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", regress, e->d_name);
			rc = replay_file(&v, p);
			/* Each replay starts from a fresh daemon. */
			restart(&v, true, &o);
			if (o.why[0]) {
				fprintf(stderr, "gicd-sockfuzz: after %s: %s\n", p, o.why);
				rc = 1;
			}
		}
		closedir(dd);
	}
	for (unsigned i = 0; i < nr_replays && !rc; i++) {
		struct outcome o = { 0 };

		rc = replay_file(&v, replays[i]);
		restart(&v, true, &o);
		if (o.why[0])
			rc = 1;
	}
	if (rc) {
		fvm_stop(&v);
		return rc;
	}
	if (!max_cases && seconds <= 0) { /* only replays were asked for */
		fvm_stop(&v);
		rm_dir(v.d.dir);
		return 0;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0;; i++) {
		struct fcase c;
		struct outcome o;
		double el;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if ((max_cases && i >= max_cases) || (seconds > 0 && el >= seconds))
			break;
		gen_case(&c, &v, seed, i);
		memcpy(c.base, v.last, sizeof(c.base));
		if (v.nr_idle && --v.idle_ttl == 0)
			idle_close(&v);
		if (i == save_case) {
			char path[512];

			save_artifact(&c, &v, artifacts, path, sizeof(path));
			printf("case %" PRIu64 " (%s) saved to %s\n", i, c.kind, path);
		}
		run_case(&v, &c, &o);
		st.cases++;
		count_kind(c.kind);
		if (verbose)
			printf("case %" PRIu64 " %s: %u actions%s\n", i, c.kind, c.nr,
			       o.why[0] ? " FAILED" : "");
		if (o.why[0]) {
			char path[512] = "";

			save_artifact(&c, &v, artifacts, path, sizeof(path));
			fprintf(stderr,
				"gicd-sockfuzz: seed %" PRIu64 " case %" PRIu64 " (%s) FAILED: %s\n"
				"  saved to %s (daemon log: %s.log); reproduce with\n"
				"  gicd-sockfuzz --replay %s %s\n",
				seed, i, c.kind, o.why, path, path, path, server_path);
			st.failures++;
			case_free(&c);
			rc = 1;
			break;
		}
		case_free(&c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		int code = fvm_stop(&v);
		double el =
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		char line[1024];

		if (!rc && code != 0) {
			fprintf(stderr,
				"gicd-sockfuzz: gicd-server exited with code %d at the end\n",
				code);
			rc = 1;
		}
		if (!rc && log_scan(&v.d, line, sizeof(line))) {
			fprintf(stderr, "gicd-sockfuzz: daemon log: %s", line);
			rc = 1;
		}
		printf("gicd-sockfuzz: seed %" PRIu64 ": %" PRIu64
		       " cases in %.1f s (%.0f cases/s), "
		       "%" PRIu64 " datagrams, %" PRIu64 " detaches, %" PRIu64
		       " daemon restarts, %" PRIu64 " failures\n",
		       seed, st.cases, el, el > 0 ? (double)st.cases / el : 0.0, st.datagrams,
		       st.detaches, st.restarts, st.failures);
		printf("  cases per kind:");
		for (unsigned i = 0; i < st.nr_kinds; i++)
			printf(" %s %" PRIu64, st.kind_name[i], st.per_kind[i]);
		printf("\n  daemon counters: malformed (seq consumed) %" PRIu64
		       ", duplicates %" PRIu64 "; Hello OK %" PRIu64 ", REJECTED %" PRIu64
		       ", BUSY %" PRIu64 "; connections refused %" PRIu64
		       ", closed before Hello %" PRIu64 ", no Hello in time %" PRIu64
		       "\n  rejects:",
		       st.malformed, st.dups, st.hello_ok, st.hello_rejected, st.hello_busy,
		       st.conn_refused, st.conn_early, st.hello_timeouts);
		for (unsigned i = 0; i < NR_REJECT_NAMES; i++)
			if (st.rejects[i])
				printf(" %s %" PRIu64 ";", reject_names[i], st.rejects[i]);
		printf("\n  reached: SPI Delivers %" PRIu64 ", reads parked %" PRIu64
		       ", Queries %" PRIu64 ", ITS commands %" PRIu64 " (errors %" PRIu64
		       "), MSIs delivered %" PRIu64 "\n",
		       st.delivers, st.reads_deferred, st.queries, st.its_cmds, st.its_errors,
		       st.msi_delivered);
		if (!rc)
			rm_dir(v.d.dir);
	}
	return rc;
}
