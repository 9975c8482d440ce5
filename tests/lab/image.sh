#!/bin/bash
# Builds the lab's two initramfs images into $LAB_OUT:
#   dom0.cpio.gz  - busybox, xenstored, xenconsoled, xl, xen-init-dom0,
#                   the Xen kernel modules, xbdev installed by the project's
#                   own `make install DESTDIR=... PREFIX=/usr`, /lab (the
#                   scenarios and their library), /lab/bench/seed-attach.sh
#                   (from tests/bench/) and the guest's images;
#   guest.cpio.gz - busybox, xen-blkfront, the xenstore-* client tools,
#                   xbdev's frontend, mkfs.ext4/e2fsck (fio with
#                   LAB_WITH_FIO=1), /lab/guest scripts and /lab/modules.
# Every ELF file brings the shared libraries ldd finds for it, looked up in
# the Xen cache first.
set -e
. "$(dirname "$0")/common.sh"
[ -f "$LAB_STAMP" ] || lab_die "no complete cache: run tests/lab/fetch.sh"
kver=$(lab_kver)
X=$LAB_ROOT
XBIN=$X/usr/lib/xen-4.17/bin
MODDIR=$X/lib/modules/$kver
LIBPATH=$X/usr/lib/x86_64-linux-gnu:$X/lib/x86_64-linux-gnu:$X/usr/lib/xen-4.17/lib/x86_64-linux-gnu
mkdir -p "$LAB_OUT"
work=$(mktemp -d "$LAB_OUT/img.XXXXXX")
trap 'rm -rf "$work"' EXIT

# copy_elf ROOT FILE [DEST]: FILE into ROOT (at DEST, default its own
# path) with every library it needs.
copy_elf() {
	local root=$1 src=$2 dst=${3:-$2} lib
	install -D -m 755 "$src" "$root$dst"
	LD_LIBRARY_PATH=$LIBPATH ldd "$src" 2>/dev/null |
	awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		case "$lib" in "$X"/*) d=${lib#"$X"} ;; *) d=$lib ;; esac
		[ -e "$root$d" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$d"
	done
}

# base_root ROOT: busybox with its applets, the usual directories.
base_root() {
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,var/log,var/run,root,lab}
	install -m 755 /bin/busybox "$root/bin/busybox"
	# Skip the applet named busybox: a link onto itself loops (ELOOP).
	for a in $(/bin/busybox --list-full); do
		case "$a" in */busybox) continue ;; esac
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	ln -sf /bin/busybox "$root/bin/sh"
	ln -sf /proc/self/mounts "$root/etc/mtab"
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	# glibc's ld.so looks in /lib64 for the loader and /lib for libs.
	mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64" "$root/usr/lib"
}

# add_modules ROOT MODULE...: the modules and their dependencies, with
# /lib/modules.load listing the insmod order.
add_modules() {
	local root=$1 m p; shift
	[ -f "$MODDIR/modules.dep" ] || depmod -b "$X" "$kver"
	for m in "$@"; do
		modprobe -d "$X" -S "$kver" --show-depends "$m" |
		awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r p; do
		install -D -m 644 "$p" "$root/lib/modules/$(basename "$p")"
		echo "/lib/modules/$(basename "$p")" >> "$root/lib/modules.load"
	done
}

pack() { (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 > "$2"; }

# ---- the project, installed as a distribution would ------------------------
stage=$work/stage
make -C "$TOP" --no-print-directory -s B="$B" install DESTDIR="$stage" \
	PREFIX=/usr LIBEXECDIR=/usr/libexec/xbdev >/dev/null

# ---- kernel-module fixtures (tests/lab/modules), built for the lab kernel
modout=$LAB_OUT/modules
if [ -x "$LAB_DIR/modules/build.sh" ]; then
	"$LAB_DIR/modules/build.sh" "$X/usr/src/linux-headers-$kver" "$modout" \
		> "$LAB_OUT/modules-build.log" 2>&1 ||
		lab_die "fixture modules failed to build: see $LAB_OUT/modules-build.log"
fi

# ---- guest ------------------------------------------------------------------
g=$work/guest
base_root "$g"
add_modules "$g" xen-blkfront ext4 xen-evtchn xen-gntalloc
for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm \
	 xenstore-exists xenstore-chmod xenstore-watch; do
	[ -e "$g/usr/bin/xenstore" ] || copy_elf "$g" "$X/usr/bin/xenstore" /usr/bin/xenstore
	ln -sf xenstore "$g/usr/bin/$t"
done
for f in /sbin/mkfs.ext4 /sbin/e2fsck /sbin/mke2fs /usr/bin/cmp /usr/bin/sha256sum; do
	[ -e "$f" ] && copy_elf "$g" "$(readlink -f "$f")" "$f"
done
ln -sf mke2fs "$g/sbin/mkfs.ext4"
[ "${LAB_WITH_FIO:-0}" = 1 ] && copy_elf "$g" /usr/bin/fio
for f in "$stage"/usr/libexec/xbdev/xbdev-blkfront; do
	[ -e "$f" ] && copy_elf "$g" "$f" /usr/libexec/xbdev/xbdev-blkfront
done
cp -r "$LAB_DIR/guest" "$g/lab/guest"
[ -d "$modout" ] && cp -r "$modout" "$g/lab/modules"
install -m 755 "$LAB_DIR/guest-init" "$g/init"
pack "$g" "$LAB_OUT/guest.cpio.gz"

# ---- dom0 ---------------------------------------------------------------------
d=$work/dom0
base_root "$d"
add_modules "$d" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs \
	xen-blkback loop
for t in xenstored xenconsoled xl xen-init-dom0; do
	copy_elf "$d" "$XBIN/$t" "/usr/sbin/$t"
done
copy_elf "$d" "$X/usr/bin/xenstore" /usr/bin/xenstore
for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm \
	 xenstore-exists xenstore-chmod xenstore-watch xenstore-control; do
	ln -sf xenstore "$d/usr/bin/$t"
done
# xl dlopens libgcc_s (pthread_cancel) and reads xl.conf.
install -D -m 644 "$(gcc -print-file-name=libgcc_s.so.1)" "$d/lib/x86_64-linux-gnu/libgcc_s.so.1"
mkdir -p "$d/etc/xen" "$d/var/lib/xen" "$d/var/lib/xenstored" "$d/var/log/xen/console" "$d/run/xen"
echo 'autoballoon="off"' > "$d/etc/xen/xl.conf"
for f in /bin/bash /usr/bin/cmp /usr/bin/sha256sum /sbin/mkfs.ext4 /sbin/e2fsck /sbin/mke2fs \
	 /sbin/losetup /usr/bin/timeout; do
	[ -e "$f" ] && copy_elf "$d" "$(readlink -f "$f")" "$f"
done
ln -sf mke2fs "$d/sbin/mkfs.ext4"
# The project: binaries, man pages, completion - and their libraries.
cp -a "$stage/." "$d/"
for f in $(find "$stage" -type f -perm -u+x); do copy_elf "$d" "$f" "${f#"$stage"}"; done
# The sanitizer build, when there is one, beside the normal one.
asan=$TOP/${B%/}-asan
case "$B" in /*) asan=${B%/}-asan ;; esac
if [ -d "$asan" ]; then
	for f in "$asan"/xbdev "$asan"/xbdev-blk*; do
		[ -x "$f" ] && copy_elf "$d" "$f" "/usr/libexec/xbdev-asan/$(basename "$f")"
	done
fi
cp -r "$LAB_DIR/." "$d/lab/"
# The seeds' attach script, the baseline bench-dom0.sh times xbdev against.
install -D -m 755 "$TOP/tests/bench/seed-attach.sh" "$d/lab/bench/seed-attach.sh"
rm -rf "$d/lab/modules"
[ -d "$modout" ] && cp -r "$modout" "$d/lab/modules"
{ echo "LAB_ONLY='${LAB_ONLY:-}'"; echo "LAB_SELFTEST='${LAB_SELFTEST:-0}'"
  echo "LAB_SOAK='${LAB_SOAK:-0}'"
  echo "LAB_MODE='${LAB_MODE:-check}'"; } > "$d/lab/config"
mkdir -p "$d/lab/img"
cp "$X/boot/vmlinuz-$kver" "$d/lab/img/vmlinuz"
cp "$LAB_OUT/guest.cpio.gz" "$d/lab/img/guest.cpio.gz"
install -m 755 "$LAB_DIR/dom0-init" "$d/init"
pack "$d" "$LAB_OUT/dom0.cpio.gz"
lab_log "images: dom0 $(du -h "$LAB_OUT/dom0.cpio.gz" | cut -f1), guest $(du -h "$LAB_OUT/guest.cpio.gz" | cut -f1)"
