#!/usr/bin/env bash
# Builds the Linux test guest from Debian packages: the cloud kernel, its
# virtio/FAT modules, busybox-static, openssl and the libraries it needs, and
# our init. Result, in OUTDIR: testvm.raw, a bootable disk (MBR, syslinux, one
# FAT partition labelled ROOT with kernel and initramfs), and vmlinuz/initrd.gz.
# No root needed beyond what apt-get download asks.
#   build.sh OUTDIR PROTOCOL_SH
set -euo pipefail
out=$(realpath -m "$1")
protocol=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[[ -n "$kernel_pkg" ]] || { echo "build.sh: no linux-image-cloud-amd64 in apt's lists: run apt-get update" >&2; exit 1; }
apt-get download -q -o APT::Sandbox::User=root "$kernel_pkg" busybox-static >/dev/null
dpkg-deb -x "$kernel_pkg"_*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
kver=$(ls kernel/lib/modules)
# modules.dep is made at install time, which we skip.
busybox/bin/busybox depmod -b "$work/kernel" "$kver"

root=$work/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,etc/acpi/PWRF,lib/modules,md,disk,tmp}
cp busybox/bin/busybox "$root/bin/"
for applet in $("$root/bin/busybox" --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

# The modules the guest needs, each after those it depends on.
# vfat mounts with iocharset ascii and codepage 437 by default in this kernel.
wanted="virtio_pci virtio_blk virtio_net ata_piix sd_mod vfat nls_cp437 nls_ascii nls_utf8 button evdev"
moddir=kernel/lib/modules/$kver
declare -A seen=()
order=()
add_module() {
  local name=$1 path deps dep
  path=$(awk -F: -v want="$name.ko" '{ n = split($1, p, "/") } p[n] == want { print $1; exit }' "$moddir/modules.dep")
  [[ -n "$path" ]] || { echo "build.sh: no module $name in $kver" >&2; exit 1; }
  [[ -z "${seen[$path]:-}" ]] || return 0
  seen[$path]=1
  deps=$(awk -F': ' -v p="$path" '$1 == p { print $2 }' "$moddir/modules.dep")
  for dep in $deps; do add_module "$(basename "$dep" .ko)"; done
  order+=("$path")
}
for m in $wanted; do add_module "$m"; done
: > "$root/etc/modules"
for path in "${order[@]}"; do
  cp "$moddir/$path" "$root/lib/modules/"
  basename "$path" >> "$root/etc/modules"
done

# openssl and the libraries it links, from this machine's Debian packages.
mkdir -p "$root/usr/bin"
cp /usr/bin/openssl "$root/bin/openssl"
for lib in $(ldd /usr/bin/openssl | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cp "$here/init" "$root/init"
cp "$here/logincheck" "$root/bin/logincheck"
cp "$protocol" "$root/etc/protocol.sh"
printf '#!/bin/sh\nsync; umount /disk 2>/dev/null; poweroff -f\n' > "$root/etc/acpi/PWRF/00000080"
# The host agent's accelerator probe boots the kernel with rdinit=/bin/accel-probe.
printf '#!/bin/sh\necho wakame-accel-probe-ok\npoweroff -f\n' > "$root/bin/accel-probe"
chmod +x "$root/init" "$root/bin/logincheck" "$root/etc/acpi/PWRF/00000080" "$root/bin/accel-probe"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > initrd.gz
cp "kernel/boot/vmlinuz-$kver" vmlinuz

# The disk: syslinux's MBR code, one bootable FAT partition from 1 MiB.
size_mb=64
truncate -s ${size_mb}M testvm.raw
echo 'start=2048, type=e, bootable' | sfdisk -q testvm.raw
dd if=/usr/lib/syslinux/mbr/mbr.bin of=testvm.raw bs=440 count=1 conv=notrunc status=none
export MTOOLS_SKIP_CHECK=1
part="testvm.raw@@1M"
mformat -i "$part" -v ROOT -T $(((size_mb - 1) * 2048)) -h 64 -s 32 -H 2048 -c 8 ::
printf 'DEFAULT linux\nTIMEOUT 1\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.gz\n  APPEND console=ttyS0 panic=10\n' > syslinux.cfg
mcopy -i "$part" vmlinuz initrd.gz syslinux.cfg ::
syslinux --offset 1048576 --install testvm.raw

mkdir -p "$out"
mv testvm.raw vmlinuz initrd.gz "$out/"
echo "$kernel_pkg" > "$out/kernel-package"
