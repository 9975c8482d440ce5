/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev: the command table and global options; one file per command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cli_cmd *const cli_cmds[] = {
	&cli_cmd_attach,
	&cli_cmd_detach,
	&cli_cmd_resize,
	&cli_cmd_prune,
	&cli_cmd_status,
	&cli_cmd_watch,
	&cli_cmd_limit,
	&cli_cmd_media,
	&cli_cmd_block_list,
	&cli_cmd_list_domains,
	&cli_cmd_list_devices,
	&cli_cmd_help_commands,
	NULL,
};

const char *argp_program_version = "xbdev " XBDEV_VERSION;

struct main_args {
	struct cli_global g;
	int cmd_index;          /* argv index of COMMAND, 0 if none */
};

static const struct argp_option main_options[] = {
	{ "verbose", 'v', NULL, 0, "Explain what is being done", 0 },
	{ 0 }
};

static error_t main_parse(int key, char *arg, struct argp_state *state)
{
	struct main_args *a = state->input;

	switch (key) {
	case 'v':
		a->g.verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		/* The command's own parser takes everything from here. */
		a->cmd_index = state->next - 1;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_END:
		if (!a->cmd_index)
			cli_usage("missing COMMAND");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static char *main_help(int key, const char *text, void *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	unsigned i;

	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return (char *)text;
	fputs("Commands:\n", f);
	for (i = 0; cli_cmds[i]; i++)
		if (!cli_cmds[i]->hidden)
			fprintf(f, "  %-10s %s\n", cli_cmds[i]->name,
				cli_cmds[i]->summary);
	fprintf(f, "\nRun 'xbdev COMMAND --help' for a command's options.\n"
		   "\n%s\n", CLI_EXIT_DOC);
	fclose(f);
	return buf;
}

static const struct argp main_argp = {
	.options = main_options,
	.parser = main_parse,
	.args_doc = "COMMAND [ARGS...]",
	.doc = "Attach, detach and inspect Xen split-driver devices."
	       "\v(commands)",
	.help_filter = main_help,
};

static const struct cli_cmd *find_cmd(const char *name)
{
	unsigned i;

	/* Exact names only: a prefix match would make every new command
	 * an incompatible change. */
	for (i = 0; cli_cmds[i]; i++)
		if (!strcmp(cli_cmds[i]->name, name))
			return cli_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct main_args a = { 0 };
	const struct cli_cmd *cmd;
	char prog[64];

	cli_parse_flags(&main_argp, argc, argv, ARGP_IN_ORDER, &a);
	cmd = find_cmd(argv[a.cmd_index]);
	if (!cmd) {
		fprintf(stderr, "xbdev: unknown command '%s' (see xbdev "
				"--help)\n", argv[a.cmd_index]);
		return XBDEV_EXIT_USAGE;
	}
	cli_cmd_name = cmd->name;
	/* argp prints argv[0] in usage lines: "Usage: xbdev attach ...". */
	snprintf(prog, sizeof(prog), "xbdev %s", cmd->name);
	argv[a.cmd_index] = prog;
	return cmd->run(argc - a.cmd_index, argv + a.cmd_index, &a.g);
}
