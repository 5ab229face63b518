# shellcheck shell=bash
# how RC: words for a harness exit status (run.sh, loop.sh).
how() {
	case $1 in
	0) echo "exited 0" ;;
	142) echo "timed out (SIGALRM)" ;;
	1[3-9][0-9] | 2[0-9][0-9]) echo "died from signal $(($1 - 128))" ;;
	*) echo "exited $1" ;;
	esac
}
