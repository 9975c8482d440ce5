/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev CLI: shared declarations of the command files. */
#ifndef XBDEV_CLI_H
#define XBDEV_CLI_H

#include <argp.h>
#include <stdbool.h>
#include "xbdev.h"

/* Exit codes of every command (documented in --help and xbdev(1)). */
enum {
	XBDEV_EXIT_OK = 0,
	XBDEV_EXIT_FAIL = 1,
	XBDEV_EXIT_USAGE = 2,
	XBDEV_EXIT_TIMEOUT = 3,
	XBDEV_EXIT_NOTFOUND = 4,
};

struct cli_global {
	bool verbose;
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const struct argp *argp;
	/* argv[0] is the command name; returns an exit code. */
	int (*run)(int argc, char **argv, const struct cli_global *g);
	bool hidden;            /* internal helper, not listed in --help */
};

extern const struct cli_cmd *const cli_cmds[];

#endif
