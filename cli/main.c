/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev: the command table and global options; one file per command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cli_cmd *const cli_cmds[] = {
	NULL,
};

const char *argp_program_version = "xbdev " XBDEV_VERSION;
const char *argp_program_bug_address = NULL;

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return XBDEV_EXIT_OK;
}
