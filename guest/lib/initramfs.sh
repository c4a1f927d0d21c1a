# Shared by the guests' builds (sourced): a busybox initramfs tree with Debian
# kernel modules in load order and host binaries with their libraries.

# initramfs_busybox ROOT BUSYBOX: the busybox binary and a link per applet.
initramfs_busybox() {
  local root=$1 busybox=$2 applet
  mkdir -p "$root"/{bin,dev,proc,sys,etc,lib/modules,tmp}
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
}

# initramfs_modules ROOT MODDIR MODULE...: the modules and what they depend
# on, each after its dependencies, named in ROOT/etc/modules in load order.
initramfs_modules() {
  local root=$1 moddir=$2 m path
  shift 2
  local -A seen=()
  local -a order=()
  _initramfs_add() {
    local name=$1 path deps dep
    path=$(awk -F: -v want="$name.ko" '{ n = split($1, p, "/") } p[n] == want { print $1; exit }' "$moddir/modules.dep")
    [[ -n "$path" ]] || { echo "initramfs: no module $name in $moddir" >&2; exit 1; }
    [[ -z "${seen[$path]:-}" ]] || return 0
    seen[$path]=1
    deps=$(awk -F': ' -v p="$path" '$1 == p { print $2 }' "$moddir/modules.dep")
    for dep in $deps; do _initramfs_add "$(basename "$dep" .ko)"; done
    order+=("$path")
  }
  for m in "$@"; do _initramfs_add "$m"; done
  : > "$root/etc/modules"
  for path in "${order[@]}"; do
    cp "$moddir/$path" "$root/lib/modules/"
    basename "$path" >> "$root/etc/modules"
  done
}

# initramfs_binary ROOT BINARY: the binary in ROOT/bin and the libraries it links, at their paths.
initramfs_binary() {
  local root=$1 binary=$2 lib
  cp "$binary" "$root/bin/$(basename "$binary")"
  for lib in $(ldd "$binary" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# debian_kernel PACKAGE DIR: busybox-static unpacked in DIR/busybox, and the
# newest kernel a meta package depends on in DIR/kernel with its modules.dep
# made (install time, which we skip); prints the kernel's version.
debian_kernel() {
  local meta=$1 dir=$2 pkg kver
  pkg=$(apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [[ -n "$pkg" ]] || { echo "no $meta in apt's lists: run apt-get update" >&2; exit 1; }
  (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root busybox-static "$pkg" >/dev/null &&
    dpkg-deb -x busybox-static_*.deb busybox && dpkg-deb -x "$pkg"_*.deb kernel)
  kver=$(ls "$dir/kernel/lib/modules")
  "$dir/busybox/bin/busybox" depmod -b "$dir/kernel" "$kver"
  echo "$kver"
}
