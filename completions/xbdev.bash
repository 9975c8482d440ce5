# bash completion for xbdev(1)                             -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Nothing here is hard-coded that xbdev can tell: the commands, each
# command's long options, its positional arguments, the live domains and
# the existing devices are all asked from the xbdev being completed (the
# first word of the line, so `build/xbdev <TAB>` asks build/xbdev), through
# its internal helpers:
#   xbdev help-commands            public commands, one a line
#   xbdev help-commands CMD        CMD's long options ("--name=" takes a value)
#   xbdev help-commands global     the global options
#   xbdev list-domains             live domain names
#   xbdev list-domains --gone      ids of gone domains whose devices are left
#   xbdev list-devices [DOMAIN]    CLASS/DEVID of existing devices
#   xbdev CMD --help               its first line names the arguments, its
#                                  option lines pair short and long names
# Only protocol constants (XenBus state names), the values of --wait,
# --backend, --format, --sector-size and --physical-sector-size and the
# keys of a limit spec are listed here.  Works without the bash-completion package.

# _xbdev_ask XBDEV ARGS...: the helper's output, nothing on any error
# (no xenstored, not root, an older xbdev without the helpers).
_xbdev_ask()
{
	local bin=$1
	shift
	"$bin" "$@" 2>/dev/null </dev/null
}

# _xbdev_args XBDEV CMD: CMD's positional argument names, e.g. "DOMAIN CLASS",
# from the first line of its --help ("Usage: xbdev attach [OPTION...] DOMAIN
# CLASS"), brackets dropped.
_xbdev_args()
{
	local line w out=
	line=$(_xbdev_ask "$1" "$2" --help | head -n 1)
	line=${line#*"$2"}
	for w in ${line//[\[\]]/ }; do
		case $w in
		OPTION... | -* | *...) ;;
		[A-Z]*) out+="$w " ;;
		esac
	done
	printf '%s' "$out"
}

# _xbdev_shorts XBDEV CMD: "-b --backend-domain" a line for each short option
# of CMD that takes a value, from its --help ("  -b, --backend-domain=DOMAIN").
_xbdev_shorts()
{
	_xbdev_ask "$1" "$2" --help |
		sed -n 's/^ *\(-[A-Za-z0-9]\), \(--[A-Za-z0-9][A-Za-z0-9-]*\)=.*/\1 \2/p'
}

# _xbdev_compgen WORDS: COMPREPLY = the WORDS that start with $cur.
# (No process substitution here or below: it needs /dev/fd, which a minimal
# system such as the lab's dom0 does not have.)
_xbdev_compgen()
{
	local IFS=$'\n' out
	out=$(compgen -W "$1" -- "$cur")
	COMPREPLY=()
	[[ -n $out ]] && mapfile -t COMPREPLY <<<"$out"
}

# The keys of an I/O limit spec (xbdev limit, attach --limit): its first
# key only (bash splits the word at each '=').
_xbdev_limit_keys()
{
	_xbdev_compgen "$(printf '%s\n' riops= wiops= iops= rbps= wbps= bps= \
		burst= none)"
	[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
}

_xbdev_value()
{
	local bin=$1 cmd=$2 opt=$3 dom=$4
	case $opt in
	--backend-domain | --domain)
		_xbdev_compgen "$(_xbdev_ask "$bin" list-domains)"
		;;
	--backend)
		# Who serves a disk (xl's backendtype=).
		_xbdev_compgen "$(printf '%s\n' xbdev phy qdisk)"
		;;
	--format)
		_xbdev_compgen raw
		;;
	--sector-size)
		# blkif's logical sizes that Linux blkfront takes (xbdev(1)).
		_xbdev_compgen "$(printf '%s\n' 512 4096)"
		;;
	--physical-sector-size)
		_xbdev_compgen "$(printf '%s\n' 512 1024 2048 4096 8192 16384 \
			32768 65536)"
		;;
	--limit)
		_xbdev_limit_keys
		;;
	--until | --state)
		# The XenBus states of xen/io/xenbus.h.
		_xbdev_compgen "$(printf '%s\n' Unknown Initialising InitWait \
			Initialised Connected Closing Closed Reconfiguring \
			Reconfigured)"
		;;
	--wait)
		_xbdev_compgen "$(printf '%s\n' none initwait connected)"
		;;
	--disk | --log | --log-dir | --file)
		local out
		out=$(compgen -f -- "$cur")
		COMPREPLY=()
		[[ -n $out ]] && mapfile -t COMPREPLY <<<"$out"
		compopt -o filenames 2>/dev/null
		;;
	--device)
		_xbdev_compgen "$(_xbdev_ask "$bin" list-devices ${dom:+"$dom"})"
		;;
	*)
		COMPREPLY=()
		;;
	esac
}

_xbdev()
{
	local bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local prev='' cmd='' opts='' shorts='' want='' dom='' i w
	local -a pos=()

	# A bare "xbdev" must name a program that exists.
	[[ $bin == */* ]] || type -P "$bin" >/dev/null || return 0
	bin=${bin/#\~/$HOME}

	# "--opt=value": bash splits at '=' (COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif ((COMP_CWORD >= 2)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	else
		prev=
	fi

	# Walk the words before the cursor: the command, the options that took
	# a separate value, and the positional arguments seen so far.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == = ]]; then
			((i++))	# the value of "--opt=value"
			continue
		fi
		if [[ -n $want ]]; then	# the value of "--opt value"
			want=
			continue
		fi
		if [[ -z $cmd ]]; then
			[[ $w == -* ]] || cmd=$w
			continue
		fi
		case $w in
		--) ;;
		--*)
			[[ ${COMP_WORDS[i + 1]} == = ]] && continue
			[[ -z $opts ]] && opts=$(_xbdev_ask "$bin" help-commands "$cmd")
			[[ $'\n'$opts$'\n' == *$'\n'$w=$'\n'* ]] && want=$w
			;;
		-[A-Za-z0-9])
			# "-b VALUE": the long option's value.
			[[ -z $shorts ]] && shorts=$(_xbdev_shorts "$bin" "$cmd")
			want=$(printf '%s\n' "$shorts" | sed -n "s/^$w //p")
			;;
		-*) ;;
		*) pos+=("$w") ;;
		esac
	done
	dom=${pos[0]}

	# The value of an option.
	if [[ -z $prev && -n $want && $cur != -* ]]; then
		prev=$want
	fi
	if [[ -n $prev ]]; then
		_xbdev_value "$bin" "$cmd" "$prev" "$dom"
		return 0
	fi

	# No command yet: global options or the commands.
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_xbdev_compgen "$(_xbdev_ask "$bin" help-commands global)"
			[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		else
			_xbdev_compgen "$(_xbdev_ask "$bin" help-commands)"
		fi
		return 0
	fi

	# Options of the command.
	if [[ $cur == -* ]]; then
		[[ -z $opts ]] && opts=$(_xbdev_ask "$bin" help-commands "$cmd")
		_xbdev_compgen "$opts"
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] &&
			compopt -o nospace 2>/dev/null
		return 0
	fi

	# media's action (a literal word in its usage, so not named there),
	# then insert's image: a file.
	if [[ $cmd == media && ${#pos[@]} -ge 2 ]]; then
		local files
		COMPREPLY=()
		if [[ ${#pos[@]} -eq 2 ]]; then
			_xbdev_compgen $'eject\ninsert'
		elif [[ ${#pos[@]} -eq 3 && ${pos[2]} == insert ]]; then
			files=$(compgen -f -- "$cur")
			[[ -n $files ]] && mapfile -t COMPREPLY <<<"$files"
		fi
		return 0
	fi

	# The next positional argument, by the name the command gives it.
	local -a names
	read -r -a names <<<"$(_xbdev_args "$bin" "$cmd")"
	case ${names[${#pos[@]}]} in
	DOMAIN | GUEST | FRONTEND | BACKEND)
		# A guest that is gone (destroyed, rebooted under a new id)
		# is named by its old id where its devices can be acted on;
		# prune acts on nothing else.
		case $cmd in
		prune)
			_xbdev_compgen "$(_xbdev_ask "$bin" list-domains --gone)"
			;;
		detach | status)
			_xbdev_compgen "$(_xbdev_ask "$bin" list-domains
				_xbdev_ask "$bin" list-domains --gone)"
			;;
		*)
			_xbdev_compgen "$(_xbdev_ask "$bin" list-domains)"
			;;
		esac
		;;
	DEVICE | CLASS/DEVID)
		_xbdev_compgen "$(_xbdev_ask "$bin" list-devices ${dom:+"$dom"})"
		;;
	CLASS)
		# Classes in use on this host, and xbdev's own block class.
		local classes
		classes=$(_xbdev_ask "$bin" list-devices | sed -n 's|/.*||p')
		# shellcheck disable=SC2086 # one class a line, no blanks
		_xbdev_compgen "$(printf '%s\n' vbd $classes | sort -u)"
		;;
	COMMAND)
		_xbdev_compgen "$(_xbdev_ask "$bin" help-commands)"
		;;
	SPEC)
		# attach's SPEC is an xl disk spec: nothing to offer.
		[[ $cmd == limit ]] && _xbdev_limit_keys
		;;
	*)
		COMPREPLY=()
		;;
	esac
	return 0
}
complete -F _xbdev xbdev
# ex: filetype=sh
