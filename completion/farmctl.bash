# farmctl.bash - bash completion for farmctl(1).
#
# Installed as $(PREFIX)/share/bash-completion/completions/farmctl, where
# bash-completion loads it on first use; or `source` it from ~/.bashrc.
#
# Commands and options are read from farmctl itself (`farmctl --help`,
# `farmctl help COMMAND`), once per shell, so they are never out of date.
# Machine names, tags and job ids come from the farm when a server answers
# within 2 seconds (`farmctl --json machines`, `farmctl --json jobs`),
# asked with the -s/--server and --token given on the line being completed.
# Needs nothing but bash; uses jq for tags and job ids when it is there.

# _farmctl_help PROGRAM [COMMAND]: the help text, cached per shell.
_farmctl_help()
{
	local key="${1}|${2-}" var
	var="_farmctl_cache_$(printf '%s' "$key" | cksum | cut -d' ' -f1)"
	if [[ -z ${!var+set} ]]; then
		if [[ -n ${2-} ]]; then
			printf -v "$var" '%s' "$("$1" help "$2" 2>/dev/null)"
		else
			printf -v "$var" '%s' "$("$1" --help 2>/dev/null)"
		fi
	fi
	printf '%s\n' "${!var}"
}

# _farmctl_commands PROGRAM: the command names of `farmctl --help`.
_farmctl_commands()
{
	_farmctl_help "$1" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# _farmctl_options PROGRAM [COMMAND]: "-x" and "--xx" words, one per line;
# with ARG=1 in front of those that take a value ("ARG -m", "ARG --machine").
_farmctl_options()
{
	_farmctl_help "$1" "${2-}" | sed -n \
	    -e 's/^  \(-[A-Za-z]\), \(--[a-z][a-z-]*\) [A-Z].*/ARG \1\nARG \2/p' \
	    -e 's/^  \(-[A-Za-z]\), \(--[a-z][a-z-]*\)\( .*\)\{0,1\}$/\1\n\2/p' \
	    -e 's/^      \(--[a-z][a-z-]*\) [A-Z].*/ARG \1/p' \
	    -e 's/^      \(--[a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p'
}

# _farmctl_ask PROGRAM SERVER TOKEN ARGS...: farmctl's JSON answer, or
# nothing when no server answers within 2 seconds.
_farmctl_ask()
{
	local prog=$1 server=$2 token=$3
	shift 3
	local -a global=()
	[[ -n $server ]] && global+=(-s "$server")
	[[ -n $token ]] && global+=(--token "$token")
	if type timeout >/dev/null 2>&1; then
		timeout 2 "$prog" "${global[@]}" --json "$@" 2>/dev/null
	else
		"$prog" "${global[@]}" --json "$@" 2>/dev/null
	fi
}

_farmctl_machines()
{
	local json
	json=$(_farmctl_ask "$@" machines) || return
	if type jq >/dev/null 2>&1; then
		jq -r '.machines[].name' <<<"$json" 2>/dev/null
	else
		# Machine objects are the only ones with a "name".
		sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' <<<"$json"
	fi
}

_farmctl_tags()
{
	type jq >/dev/null 2>&1 || return
	_farmctl_ask "$@" machines | jq -r '.machines[].tags[]' 2>/dev/null | sort -u
}

_farmctl_jobs()
{
	type jq >/dev/null 2>&1 || return
	_farmctl_ask "$@" jobs --limit 20 | jq -r '.jobs[].id' 2>/dev/null
}

_farmctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local prog=${COMP_WORDS[0]} cmd= server=${FARM_SERVER-} token=${FARM_API_TOKEN-}
	local i w opts argopts operands=0 dashdash=0
	(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	prog=${prog/#\~/$HOME}
	type "$prog" >/dev/null 2>&1 || prog=farmctl
	COMPREPLY=()

	# Walk the words before the cursor: the server, the token, the
	# command, how many operands, and whether "--" was given.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if (( dashdash )); then
			continue
		fi
		case $w in
		-s | --server) server=${COMP_WORDS[i + 1]-}; ((i++)); continue ;;
		--server=*) server=${w#--server=}; continue ;;
		--token) token=${COMP_WORDS[i + 1]-}; ((i++)); continue ;;
		--token=*) token=${w#--token=}; continue ;;
		--) [[ -n $cmd ]] && dashdash=1; continue ;;
		esac
		if [[ -z $cmd ]]; then
			[[ $w == -* ]] || cmd=$w
			continue
		fi
		if [[ $w == -* ]]; then
			argopts=$(_farmctl_options "$prog" "$cmd" | sed -n 's/^ARG //p')
			if [[ $w != *=* ]] && grep -qxF -- "$w" <<<"$argopts"; then
				((i++))
			fi
			continue
		fi
		((operands++))
	done
	(( dashdash )) && return 0

	# The value of an option.
	case $prev in
	-s | --server | --token) return 0 ;;
	esac
	if [[ -n $cmd && $prev == -* ]]; then
		argopts=$(_farmctl_options "$prog" "$cmd" | sed -n 's/^ARG //p')
		if grep -qxF -- "$prev" <<<"$argopts"; then
			case $prev in
			-m | --machine)
				COMPREPLY=($(compgen -W "$(_farmctl_machines "$prog" \
				    "$server" "$token")" -- "$cur"))
				;;
			-t | --tag)
				COMPREPLY=($(compgen -W "$(_farmctl_tags "$prog" \
				    "$server" "$token")" -- "$cur"))
				;;
			--efi)
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -X '!*.efi' -- "$cur") \
				    $(compgen -d -- "$cur"))
				;;
			--state)
				COMPREPLY=($(compgen -W "queued assigned booting running
				    done cancelled" -- "$cur"))
				;;
			esac
			return 0
		fi
	fi

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			opts=$(_farmctl_options "$prog" | sed 's/^ARG //')
		else
			opts=$(_farmctl_commands "$prog")
		fi
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi

	if [[ $cur == -* ]]; then
		opts="$(_farmctl_options "$prog" "$cmd" | sed 's/^ARG //')
		    -s --server --token --json -h --help"
		[[ $cmd == schedule ]] && opts+=" --"
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi

	case $cmd in
	show | log | cancel)
		(( operands == 0 )) && COMPREPLY=($(compgen -W "$(_farmctl_jobs \
		    "$prog" "$server" "$token")" -- "$cur"))
		;;
	machine)
		case $operands in
		0) COMPREPLY=($(compgen -W set -- "$cur")) ;;
		1) COMPREPLY=($(compgen -W "$(_farmctl_machines "$prog" \
		    "$server" "$token")" -- "$cur")) ;;
		2) COMPREPLY=($(compgen -W "maintenance online" -- "$cur")) ;;
		esac
		;;
	help)
		(( operands == 0 )) && COMPREPLY=($(compgen -W \
		    "$(_farmctl_commands "$prog")" -- "$cur"))
		;;
	esac
	return 0
}

complete -F _farmctl farmctl
