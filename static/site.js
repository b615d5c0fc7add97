// Vùng Cao: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  var d = document;
  d.documentElement.classList.add("js");

  // ThumbHash placeholder → a tiny image painted behind the photo until it arrives.
  function thumbHashToDataURL(b64) {
    var bin = atob(b64), h = new Uint8Array(bin.length), i;
    for (i = 0; i < bin.length; i++) h[i] = bin.charCodeAt(i);
    var PI = Math.PI, h24 = h[0] | h[1] << 8 | h[2] << 16, h16 = h[3] | h[4] << 8;
    var lDc = (h24 & 63) / 63, pDc = (h24 >> 6 & 63) / 31.5 - 1, qDc = (h24 >> 12 & 63) / 31.5 - 1;
    var lSc = (h24 >> 18 & 31) / 31, alpha = h24 >> 23, pSc = (h16 >> 3 & 63) / 63, qSc = (h16 >> 9 & 63) / 63;
    var land = h16 >> 15, lMax = alpha ? 5 : 7;
    var lx = Math.max(3, land ? lMax : h16 & 7), ly = Math.max(3, land ? h16 & 7 : lMax);
    var aDc = alpha ? (h[5] & 15) / 15 : 1, aSc = (h[5] >> 4) / 15;
    var start = alpha ? 6 : 5, idx = 0;
    function channel(nx, ny, scale) {
      var ac = [], cx, cy;
      for (cy = 0; cy < ny; cy++)
        for (cx = cy ? 0 : 1; cx * ny < nx * (ny - cy); cx++, idx++)
          ac.push(((h[start + (idx >> 1)] >> ((idx & 1) << 2) & 15) / 7.5 - 1) * scale);
      return ac;
    }
    var lAc = channel(lx, ly, lSc), pAc = channel(3, 3, pSc * 1.25), qAc = channel(3, 3, qSc * 1.25);
    var aAc = alpha ? channel(5, 5, aSc) : null;
    var ratio = lx / ly, w = Math.round(ratio > 1 ? 32 : 32 * ratio), ht = Math.round(ratio > 1 ? 32 / ratio : 32);
    var c = d.createElement("canvas"); c.width = w; c.height = ht;
    var ctx = c.getContext("2d"), img = ctx.createImageData(w, ht), px = img.data, fx = [], fy = [];
    for (var y = 0, k = 0; y < ht; y++) for (var x = 0; x < w; x++, k += 4) {
      var l = lDc, p = pDc, q = qDc, a = aDc, j, cx, cy, n = Math.max(lx, alpha ? 5 : 3), m = Math.max(ly, alpha ? 5 : 3);
      for (cx = 0; cx < n; cx++) fx[cx] = Math.cos(PI / w * (x + 0.5) * cx);
      for (cy = 0; cy < m; cy++) fy[cy] = Math.cos(PI / ht * (y + 0.5) * cy);
      for (cy = 0, j = 0; cy < ly; cy++) for (cx = cy ? 0 : 1; cx * ly < lx * (ly - cy); cx++, j++) l += lAc[j] * fx[cx] * fy[cy] * 2;
      for (cy = 0, j = 0; cy < 3; cy++) for (cx = cy ? 0 : 1; cx < 3 - cy; cx++, j++) { var f = fx[cx] * fy[cy] * 2; p += pAc[j] * f; q += qAc[j] * f; }
      if (aAc) for (cy = 0, j = 0; cy < 5; cy++) for (cx = cy ? 0 : 1; cx < 5 - cy; cx++, j++) a += aAc[j] * fx[cx] * fy[cy] * 2;
      var b = l - 2 / 3 * p, r = (3 * l - b + q) / 2, g = r - q;
      px[k] = Math.max(0, 255 * Math.min(1, r)); px[k + 1] = Math.max(0, 255 * Math.min(1, g));
      px[k + 2] = Math.max(0, 255 * Math.min(1, b)); px[k + 3] = Math.max(0, 255 * Math.min(1, a));
    }
    ctx.putImageData(img, 0, 0);
    return c.toDataURL();
  }
  function paintPlaceholders(root) {
    root.querySelectorAll("[data-th]").forEach(function (el) {
      var img = el.querySelector("img"), hash = el.getAttribute("data-th");
      el.removeAttribute("data-th");
      if (!hash || (img && img.complete && img.naturalWidth)) return;
      try { el.style.backgroundImage = "url(" + thumbHashToDataURL(hash) + ")"; } catch (e) { /* keep the plain colour */ }
    });
  }

  // Search: results while typing (debounced), and "load more" appended in place.
  function enhanceSearch() {
    var box = d.getElementById("q"), results = d.getElementById("results");
    if (!box || !results) return;
    var timer, last = box.value, seq = 0;
    function params() {
      var f = d.getElementById("filters"), u = new URLSearchParams(f ? new FormData(f) : undefined);
      u.set("q", box.value);
      Array.from(u.keys()).forEach(function (k) { if (!u.get(k)) u.delete(k); });
      return u;
    }
    function load(url, append) {
      var mine = ++seq;
      return fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "partial=1", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          if (mine !== seq) return;
          var t = d.createElement("div"); t.innerHTML = html;
          var fresh = t.querySelector("#results");
          if (!fresh) return;
          if (append) {
            var list = results.querySelector(".cards"), more = results.querySelector("[data-more]");
            fresh.querySelectorAll(".card").forEach(function (li) { list.appendChild(li); });
            var next = fresh.querySelector("[data-more]");
            if (more) more.parentNode.remove();
            if (next) results.appendChild(next.parentNode);
          } else {
            results.innerHTML = fresh.innerHTML;
          }
          paintPlaceholders(results);
        }).catch(function () { if (!append) return; location.href = url; });
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (box.value === last) return;
        last = box.value;
        var qs = params().toString();
        history.replaceState(null, "", "/tim-kiem?" + qs);
        var hidden = d.querySelector("#filters input[name=q]");
        if (hidden) hidden.value = box.value;
        load("/tim-kiem?" + qs, false);
      }, 300);
    });
    results.addEventListener("click", function (e) {
      var a = e.target.closest("[data-more]");
      if (!a) return;
      e.preventDefault();
      a.textContent = "…";
      load(a.getAttribute("href"), true);
    });
  }

  // Photos: shrink on the phone, upload with progress, retry with back-off.
  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return resolve(file);
      var url = URL.createObjectURL(file), im = new Image();
      im.onload = function () {
        var s = Math.min(1, 2560 / Math.max(im.naturalWidth, im.naturalHeight));
        if (s === 1 && file.size < 3e6) { URL.revokeObjectURL(url); return resolve(file); }
        var c = d.createElement("canvas");
        c.width = Math.round(im.naturalWidth * s); c.height = Math.round(im.naturalHeight * s);
        c.getContext("2d").drawImage(im, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        c.toBlob(function (b) { resolve(b || file); }, "image/jpeg", 0.85);
      };
      im.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      im.src = url;
    });
  }
  function send(endpoint, blob, name, bar) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest(), fd = new FormData();
      fd.append("photo", blob, name.replace(/\.\w+$/, "") + ".jpg");
      x.open("POST", endpoint);
      // Cookie-signed API writes must carry this header (a cross-site page cannot send it).
      x.setRequestHeader("X-Requested-With", "fetch");
      x.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = e.loaded / e.total; };
      x.onload = function () {
        if (x.status < 300) return resolve();
        var p = {};
        try { p = JSON.parse(x.responseText); } catch (_) {}
        reject({ status: x.status, message: d.documentElement.lang === "vi" ? p.detail_vi : p.detail || p.detail_vi });
      };
      x.onerror = function () { reject({ status: 0 }); };
      x.send(fd);
    });
  }
  function withRetry(fn, tries) {
    return fn().catch(function (err) {
      var status = err.status;
      // 4xx answers (bad file, not found) will not get better by trying again, and with no
      // network at all the photo waits for the "online" event instead.
      if (tries <= 1 || !navigator.onLine || (status >= 400 && status < 500 && status !== 408 && status !== 429)) throw err;
      return new Promise(function (r) { setTimeout(r, 1000 * Math.pow(2, 3 - tries)); })
        .then(function () { return withRetry(fn, tries - 1); });
    });
  }

  // Photos kept on the phone (IndexedDB) until the server has them: on a dropped 3G connection
  // a photo waits ("chờ mạng") and is sent again when the network returns, or when the page is
  // opened again. Without IndexedDB the upload still works, it just is not kept.
  var DB_NAME = "vungcao-uploads", STORE = "pending";
  function idb(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result, tx = db.transaction(STORE, mode), rq = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(rq.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function keep(record) { return idb("readwrite", function (s) { return s.add(record); }); }
  function forget(id) {
    if (id == null) return Promise.resolve();
    return idb("readwrite", function (s) { return s.delete(id); }).catch(function () {});
  }
  function keptFor(endpoint) {
    return idb("readonly", function (s) { return s.getAll(); })
      .then(function (all) { return all.filter(function (r) { return r.endpoint === endpoint; }); })
      .catch(function () { return []; });
  }

  function enhanceUpload() {
    d.querySelectorAll("form[data-upload]").forEach(function (form) {
      var list = form.querySelector(".previews"), endpoint = form.getAttribute("data-upload");
      var items = [], reloading = false;
      function label(state, reason) {
        if (state === "failed") return form.getAttribute("data-error") + ": " + (reason || form.getAttribute("data-failed"));
        return form.getAttribute("data-" + state);
      }
      function show(item, state, reason) {
        item.state = state;
        item.li.setAttribute("data-state", state);
        item.note.textContent = label(state, reason);
      }
      // Every photo settled and sent: show the gallery as the server now has it.
      function settle() {
        var open = items.some(function (i) { return i.state !== "done"; });
        if (!open && items.length && !reloading) {
          reloading = true;
          setTimeout(function () { location.reload(); }, 800);
        }
      }
      function attempt(item) {
        if (item.busy || item.state === "done") return Promise.resolve();
        item.busy = true;
        show(item, "uploading");
        item.bar.value = 0;
        return withRetry(function () { return send(endpoint, item.blob, item.name, item.bar); }, 3)
          .then(function () {
            item.bar.value = 1;
            show(item, "done");
            forget(item.id);
          }, function (err) {
            var status = err.status;
            if (status === 0 || status >= 500 || status === 408 || status === 429) {
              show(item, "waiting");
            } else {
              show(item, "failed", err.message);
              forget(item.id);
            }
          }).then(function () { item.busy = false; settle(); });
      }
      function retryWaiting() {
        items.forEach(function (item) { if (item.state === "waiting") attempt(item); });
      }
      function add(blob, name, id) {
        var li = d.createElement("li"), img = d.createElement("img"), bar = d.createElement("progress"), note = d.createElement("span");
        img.src = URL.createObjectURL(blob); img.alt = "";
        note.className = "state";
        li.appendChild(img); li.appendChild(bar); li.appendChild(note); list.appendChild(li);
        var item = { li: li, note: note, bar: bar, blob: blob, name: name, id: id, state: "" };
        items.push(item);
        return item;
      }
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        input.addEventListener("change", function () {
          var files = Array.prototype.slice.call(input.files);
          input.value = "";
          files.forEach(function (file) {
            shrink(file).then(function (blob) {
              var item = add(blob, file.name, null);
              show(item, "uploading");
              // Kept on the phone first, so a dropped connection or a closed page loses nothing.
              return keep({ endpoint: endpoint, name: file.name, blob: blob, added: Date.now() })
                .then(function (id) { item.id = id; }, function () {})
                .then(function () { return attempt(item); });
            });
          });
        });
      });
      // Photos left from an earlier visit (the network dropped, the page was closed).
      keptFor(endpoint).then(function (records) {
        records.forEach(function (r) {
          var item = add(r.blob, r.name, r.id);
          show(item, "waiting");
        });
        if (navigator.onLine) retryWaiting();
      });
      window.addEventListener("online", retryWaiting);
      // A connection that is "up" but carries nothing fires no event: look again now and then.
      setInterval(function () { if (navigator.onLine) retryWaiting(); }, 20000);
    });
  }

  function enhanceForms() {
    d.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
    var kind = d.getElementById("kind"), dates = d.querySelector("[data-kind=event]");
    if (kind && dates) {
      var sync = function () { dates.toggleAttribute("data-hidden", kind.value !== "event"); };
      kind.addEventListener("change", sync); sync();
    }
    // The label sheet's "In" (print) button: shown only where it can work.
    d.querySelectorAll("[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
  }

  // Sharing: "copy link" (without script the page shows the link in a read-only field), and
  // the phone's own share sheet (Zalo among its apps) before Zalo's web page, where there is one.
  function enhanceShare() {
    d.querySelectorAll("[data-copy]").forEach(function (button) {
      var box = button.parentNode, label = box.querySelector(".link"), field = label.querySelector("input");
      var note = box.querySelector(".note");
      function show(state) {
        note.textContent = button.getAttribute(state === "copied" ? "data-copied" : "data-by-hand");
        note.setAttribute("data-state", state);
        label.hidden = state === "copied";
        if (state !== "copied") { field.focus(); field.select(); }
      }
      // Where the clipboard API is refused (no permission, not a secure page): the old way.
      function byHand() {
        label.hidden = false; field.select();
        var copied = false;
        try { copied = d.execCommand("copy"); } catch (e) { copied = false; }
        show(copied ? "copied" : "by-hand");
      }
      label.hidden = true; button.hidden = false;
      button.addEventListener("click", function () {
        var url = button.getAttribute("data-copy");
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(url).then(function () { show("copied"); }, byHand);
        } else byHand();
      });
    });
    if (!navigator.share) return;
    d.querySelectorAll("[data-native-share]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        navigator.share({ title: d.title, url: a.getAttribute("data-native-share") }).catch(function (err) {
          if (!err || err.name !== "AbortError") location.href = a.href;
        });
      });
    });
  }

  function start() { paintPlaceholders(d); enhanceSearch(); enhanceUpload(); enhanceForms(); enhanceShare(); }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})();
