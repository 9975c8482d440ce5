#!/bin/bash
# Builds the lab's two initramfs images into $LAB_OUT:
#   dom0.cpio.gz  - busybox, xenstored, xenconsoled, xl, xen-init-dom0,
#                   Xen's block hotplug scripts (/etc/xen/scripts),
#                   the Xen kernel modules, xbdev installed from its Debian
#                   package by dpkg (tests/pkg/; for 4.20 by `make install
#                   DESTDIR=... PREFIX=/usr` in the trixie root), /lab (the
#                   scenarios and their library), /lab/bench/seed-attach.sh
#                   (from tests/bench/) and the guest's images;
#   guest.cpio.gz - busybox, xen-blkfront, the xenstore-* client tools,
#                   xbdev's frontend, mkfs.ext4/e2fsck/resize2fs (fio with
#                   LAB_WITH_FIO=1), /lab/guest scripts and /lab/modules.
# Every ELF file brings the shared libraries ldd finds for it, looked up in
# the Xen cache first.  LAB_XEN=4.20: xbdev, its sanitizer build and the
# fixture modules are built inside the trixie build root (chroot), and
# dom0's and the guest's userland comes from that root, not from the host.
set -e
. "$(dirname "$0")/common.sh"
[ -f "$LAB_STAMP" ] || lab_die "no complete cache for Xen $LAB_XEN: run LAB_XEN=$LAB_XEN tests/lab/fetch.sh"
kver=$(lab_kver)
X=$LAB_ROOT
XBIN=$X/usr/lib/xen-$LAB_XEN/bin
MODDIR=$X/lib/modules/$kver
LIBPATH=$X/usr/lib/x86_64-linux-gnu:$X/lib/x86_64-linux-gnu:$X/usr/lib/xen-$LAB_XEN/lib/x86_64-linux-gnu
mkdir -p "$LAB_OUT"
work=$(mktemp -d "$LAB_OUT/img.XXXXXX")
trap 'rm -rf "$work"' EXIT

# in_root: the flavour's userland lives in the build root ($X), not on the
# host (4.20); 4.17 takes it from the host, which is the same Debian.
in_root() { [ "$LAB_XEN" != 4.17 ]; }

# real_path FILE: FILE with its links resolved where it lives: inside $X
# (a build root's absolute links point into that root) or on the host.
real_path() {
	case "$1" in
	"$X"/*) in_root && { echo "$X$(chroot "$X" readlink -f "${1#"$X"}")"; return; } ;;
	esac
	readlink -f "$1"
}

# libs_of FILE: the shared libraries FILE needs, as paths to copy from.
# A file of the build root is asked about with the root's own ldd (its
# binaries need its glibc and loader); anything else with the host's.
libs_of() {
	local f=$1
	case "$f" in
	"$X"/*) if in_root; then
		chroot "$X" ldd "${f#"$X"}" 2>/dev/null | _ldd_paths | sed "s|^|$X|"
		return
	fi ;;
	esac
	LD_LIBRARY_PATH=$LIBPATH ldd "$f" 2>/dev/null | _ldd_paths
}
_ldd_paths() { awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'; }

# copy_elf ROOT FILE [DEST]: FILE into ROOT (at DEST, default its own
# path) with every library it needs.
copy_elf() {
	local root=$1 src=$2 dst=${3:-$2} lib d
	install -D -m 755 "$src" "$root$dst"
	libs_of "$src" | while read -r lib; do
		case "$lib" in "$X"/*) d=${lib#"$X"} ;; *) d=$lib ;; esac
		[ -e "$root$d" ] || install -D -m 755 "$(real_path "$lib")" "$root$d"
	done
}

# tool PATH: where the image takes the userland tool PATH from.
tool() { if in_root; then real_path "$X$1"; else readlink -f "$1"; fi; }

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
		# Trixie's modules are xz-compressed; busybox insmod wants ELF.
		m=$(basename "${p%.xz}")
		mkdir -p "$root/lib/modules"
		case "$p" in
		*.xz) xz -dc "$p" > "$root/lib/modules/$m" ;;
		*) install -m 644 "$p" "$root/lib/modules/$m" ;;
		esac
		echo "/lib/modules/$m" >> "$root/lib/modules.load"
	done
}

pack() { (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 > "$2"; }

# ---- the project, installed as a distribution would ------------------------
# in_chroot CMD...: CMD inside the build root, with a clean environment (no
# MAKEFLAGS or CC of the host's make).
in_chroot() { chroot "$X" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# build_in_root: xbdev (and its sanitizer build) compiled and installed
# inside the 4.20 build root against trixie's libxen, in a directory of
# that root kept per clone (incremental: the copy keeps the sources'
# times, the objects stay), under a lock against a concurrent run.
build_in_root() {
	local key
	key=$(printf '%s' "$TOP" | cksum | cut -d' ' -f1)
	rb=/var/tmp/xbdev-build/$key          # as the root sees it
	hb=$X$rb                              # as the host sees it
	mkdir -p "$hb"
	exec 9> "$hb.lock"
	flock 9
	rm -rf "$hb/src" "$hb/stage" "$hb/modules"
	mkdir -p "$hb/src"
	tar -C "$TOP" --exclude=./.git --exclude='./build' --exclude='./build-*' -cf - . |
		tar -C "$hb/src" -xf -
	in_chroot make -C "$rb/src" --no-print-directory -s -j2 B="$rb/build" all &&
	in_chroot make -C "$rb/src" --no-print-directory -s -j2 SANITIZE=1 B="$rb/build-asan" all &&
	in_chroot make -C "$rb/src" --no-print-directory -s B="$rb/build" install \
		DESTDIR="$rb/stage" PREFIX=/usr LIBEXECDIR=/usr/libexec/xbdev
}
if in_root; then
	build_in_root > "$LAB_OUT/build-$LAB_XEN.log" 2>&1 ||
		lab_die "building xbdev in the $LAB_SUITE root failed: see $LAB_OUT/build-$LAB_XEN.log"
	stage=$hb/stage
	asan=$hb/build-asan
else
	# The Debian package (tests/pkg/build-deb.sh), installed by dpkg
	# into the tree dom0's image is made of: the package is how dom0
	# gets xbdev, as an administrator's host would.
	stage=$work/stage
	deb=$(DPKG_BUILD_ARGS=-d "$TOP/tests/pkg/build-deb.sh" "$work/deb") ||
		lab_die "building the xbdev package failed: see $work/deb/build.log"
	"$TOP/tests/pkg/install-deb.sh" "$stage" -i "$deb" > "$LAB_OUT/deb-install.log" 2>&1 ||
		lab_die "dpkg could not install $deb into dom0's tree: see $LAB_OUT/deb-install.log"
	lab_log "dom0 gets xbdev from $(basename "$deb") (dpkg --root)"
	# The sanitizer build, when there is one, beside the normal one.
	asan=$TOP/${B%/}-asan
	case "$B" in /*) asan=${B%/}-asan ;; esac
fi

# ---- kernel-module fixtures (tests/lab/modules), built for the lab kernel
modout=$LAB_OUT/modules
if [ -x "$LAB_DIR/modules/build.sh" ]; then
	if in_root; then
		# The headers and the compiler the kernel names are the root's.
		in_chroot sh "$rb/src/tests/lab/modules/build.sh" \
			"/usr/src/linux-headers-$kver" "$rb/modules" &&
		mkdir -p "$modout" && cp "$hb"/modules/*.ko "$modout/"
	else
		"$LAB_DIR/modules/build.sh" "$X/usr/src/linux-headers-$kver" "$modout"
	fi > "$LAB_OUT/modules-build.log" 2>&1 ||
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
for f in /sbin/mkfs.ext4 /sbin/e2fsck /sbin/mke2fs /sbin/resize2fs \
	 /usr/bin/cmp /usr/bin/sha256sum; do
	src=$(tool "$f")
	[ -e "$src" ] && copy_elf "$g" "$src" "$f"
done
ln -sf mke2fs "$g/sbin/mkfs.ext4"
# fio: the host's, or for 4.20 trixie's (a bookworm binary's libraries do
# not resolve against the build root's glibc).
if [ "${LAB_WITH_FIO:-0}" = 1 ]; then
	if in_root; then
		root_packages fio fio || { echo "lab: error: could not fetch trixie's fio into the build root" >&2; exit 1; }
	fi
	copy_elf "$g" "$(tool /usr/bin/fio)" /usr/bin/fio
fi
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
# virtio: the bench's shared disks (run.sh, LAB_SHARED_IOPS).
add_modules "$d" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs \
	xen-blkback loop virtio_pci virtio_blk
for t in xenstored xenconsoled xl xen-init-dom0; do
	copy_elf "$d" "$XBIN/$t" "/usr/sbin/$t"
done
# libxl runs its save/restore helper from its own directory (xl save,
# xl restore, xl migrate).
copy_elf "$d" "$XBIN/libxl-save-helper" "/usr/lib/xen-$LAB_XEN/bin/libxl-save-helper"
copy_elf "$d" "$X/usr/bin/xenstore" /usr/bin/xenstore
for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm \
	 xenstore-exists xenstore-chmod xenstore-watch xenstore-control; do
	ln -sf xenstore "$d/usr/bin/$t"
done
# xl dlopens libgcc_s (pthread_cancel) and reads xl.conf.
if in_root; then gcc_s=$(real_path "$X/usr/lib/x86_64-linux-gnu/libgcc_s.so.1")
else gcc_s=$(gcc -print-file-name=libgcc_s.so.1); fi
install -D -m 644 "$gcc_s" "$d/lib/x86_64-linux-gnu/libgcc_s.so.1"
mkdir -p "$d/etc/xen" "$d/var/lib/xen" "$d/var/lib/xenstored" "$d/var/log/xen/console" "$d/run/xen"
echo 'autoballoon="off"' > "$d/etc/xen/xl.conf"
for f in /bin/bash /usr/bin/cmp /usr/bin/sha256sum /sbin/mkfs.ext4 /sbin/e2fsck /sbin/mke2fs \
	 /sbin/losetup /usr/bin/timeout /usr/bin/flock; do
	src=$(tool "$f")
	[ -e "$src" ] && copy_elf "$d" "$src" "$f"
done
ln -sf mke2fs "$d/sbin/mkfs.ext4"
# Xen's own hotplug scripts for disks, as the Xen package installs them:
# libxl runs /etc/xen/scripts/block for every phy disk (kernel blkback).
# They are bash; their lock (locking.sh) needs flock (util-linux, above:
# busybox has none) and /dev/stdin (dom0-init links it); stat -L -c,
# readlink -f, expr index, logger and losetup are busybox's or the ones
# above.
install -d "$d/etc/xen/scripts"
for f in block block-common.sh xen-hotplug-common.sh xen-script-common.sh \
	 hotplugpath.sh logging.sh locking.sh; do
	cp -p "$X/etc/xen/scripts/$f" "$d/etc/xen/scripts/"
done
# The project: binaries, man pages, completion - and their libraries.
cp -a "$stage/." "$d/"
# (Not dpkg's maintainer scripts under var/lib/dpkg: no ELF there.)
for f in $(find "$stage" -path "$stage/var" -prune -o -type f -perm -u+x -print); do
	copy_elf "$d" "$f" "${f#"$stage"}"
done
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
  echo "LAB_SOAK='${LAB_SOAK:-0}'"; echo "LAB_PVH='${LAB_PVH:-0}'"
  echo "LAB_MODE='${LAB_MODE:-check}'"; echo "LAB_XEN='$LAB_XEN'"; } > "$d/lab/config"
mkdir -p "$d/lab/img"
cp "$X/boot/vmlinuz-$kver" "$d/lab/img/vmlinuz"
cp "$LAB_OUT/guest.cpio.gz" "$d/lab/img/guest.cpio.gz"
install -m 755 "$LAB_DIR/dom0-init" "$d/init"
pack "$d" "$LAB_OUT/dom0.cpio.gz"
lab_log "images: dom0 $(du -h "$LAB_OUT/dom0.cpio.gz" | cut -f1), guest $(du -h "$LAB_OUT/guest.cpio.gz" | cut -f1)"
