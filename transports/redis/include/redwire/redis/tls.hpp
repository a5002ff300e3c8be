// redwire/redis/tls.hpp — TLS with OpenSSL under redwire's own sockets (rediss://).
//
// tls_context is the OpenSSL context of one transport: the CA store, the client certificate,
// whether to verify. tls_stream is one connection's TLS session over a socket's descriptor.
// Every operation returns at once, saying what it waits for, and the socket (socket.hpp) does
// the waiting, with its deadlines — so shutting the descriptor down from another thread still
// ends a wait. Reading, the socket receives the encrypted bytes itself, as it receives plain
// ones (one recv() that waits, no poll()), and feeds them to the session (feed()); writing,
// the session sends them with send(MSG_DONTWAIT | MSG_NOSIGNAL): a full socket buffer is
// waited for, a peer that vanished is an error, never a SIGPIPE. One session is read by one
// thread while others write to it (the command connection does), which OpenSSL does not
// allow at the same time: a mutex orders its calls, none of which waits.
//
// Errors say what went wrong in words (certificate not trusted, host name mismatch, not a TLS
// server), with the server's address; they never hold a key or a password, which OpenSSL never
// sees anyway but through the files it reads.
#pragma once

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <redwire/transport.hpp>

#include "settings.hpp"

namespace redwire::redis::detail {

/// The oldest error OpenSSL queued on this thread, in words ("" if none); empties the queue.
inline std::string openssl_error_text() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return {};
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "error " + std::to_string(e);
}

/// The OpenSSL context of one transport. Throws transport_error (naming `where` and the file)
/// when a file cannot be read or used.
class tls_context {
 public:
  tls_context(const tls_settings& o, const std::string& where)
      : ctx_(SSL_CTX_new(TLS_client_method())), verify_(o.verify) {
    if (!ctx_) fail(where, "cannot make a TLS context: " + openssl_error_text());
    SSL_CTX* c = ctx_.get();
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a closed socket reads as closed
#endif
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(c, [](char*, int, int, void*) { return 0; });  // never prompt
    if (o.verify) {
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      if (o.ca.empty()) {
        if (SSL_CTX_set_default_verify_paths(c) != 1)
          fail(where, "cannot load the system's CA store: " + openssl_error_text());
      } else {
        readable(o.ca, "CA bundle", where);
        struct stat info {};
        const bool dir = ::stat(o.ca.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
        if (SSL_CTX_load_verify_locations(c, dir ? nullptr : o.ca.c_str(),
                                          dir ? o.ca.c_str() : nullptr) != 1)
          fail(where, "cannot use the CA bundle " + o.ca + ": " + openssl_error_text());
      }
    }
    if (!o.cert.empty()) {
      readable(o.cert, "client certificate", where);
      readable(o.key, "client key", where);
      if (SSL_CTX_use_certificate_chain_file(c, o.cert.c_str()) != 1)
        fail(where, "cannot use the client certificate " + o.cert + ": " + openssl_error_text());
      if (SSL_CTX_use_PrivateKey_file(c, o.key.c_str(), SSL_FILETYPE_PEM) != 1 &&
          ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH)
        fail(where, "cannot use the client key " + o.key + ": " + openssl_error_text());
      if (SSL_CTX_check_private_key(c) != 1)
        fail(where, "the client key " + o.key + " does not match the certificate " + o.cert);
    }
  }

  SSL_CTX* get() const noexcept {
    return ctx_.get();
  }
  bool verifies() const noexcept {
    return verify_;
  }

 private:
  [[noreturn]] static void fail(const std::string& where, const std::string& why) {
    throw transport_error("redwire::redis: " + where + ": " + why);
  }
  static void readable(const std::string& path, const char* what, const std::string& where) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f)
      fail(where,
           std::string("cannot read the ") + what + " " + path + ": " + std::strerror(errno));
    std::fclose(f);
  }

  struct free_ctx {
    void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
  };
  std::unique_ptr<SSL_CTX, free_ctx> ctx_;
  bool verify_;
};

/// One TLS session over a connected, non-blocking descriptor. Every call returns at once: with
/// bytes, or with what to wait for (POLLIN, POLLOUT) before calling again.
class tls_stream {
 public:
  struct progress {
    std::size_t bytes = 0;  ///< > 0: done
    short wait = 0;         ///< else: poll for this, then call again
  };

  /// `host` is where the socket is connected; the certificate must name it (or `o.sni`).
  tls_stream(const tls_context& ctx, int fd, const std::string& host, const tls_settings& o)
      : ssl_(SSL_new(ctx.get())), fd_(fd) {
    BIO* bio = ssl_ ? BIO_new(method()) : nullptr;
    if (!bio) throw transport_error("redwire::redis: TLS: " + openssl_error_text());
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_.get(), bio, bio);  // the session owns it (one reference for both ways)
    name_ = o.sni.empty() ? host : o.sni;
    unsigned char address[16];
    const bool is_ip = ::inet_pton(AF_INET, name_.c_str(), address) == 1 ||
                       ::inet_pton(AF_INET6, name_.c_str(), address) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(ssl_.get(), name_.c_str());
    if (ctx.verifies()) {
      if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name_.c_str());
      else
        SSL_set1_host(ssl_.get(), name_.c_str());
    }
  }

  /// Encrypted bytes the socket received, for the session to read.
  void feed(const char* data, std::size_t n) {
    std::lock_guard lk(m_);
    if (in_at_ == in_.size()) {
      in_.clear();
      in_at_ = 0;
    }
    in_.append(data, n);
  }

  /// One step of the handshake: {1, 0} once done; POLLIN: feed() more. Throws transport_error
  /// with the cause (not yet the address: the socket adds it).
  progress handshake() {
    std::lock_guard lk(m_);
    ERR_clear_error();
    int rc = SSL_connect(ssl_.get());
    if (rc == 1) return {1, 0};
    return after(rc, errno, "handshake");
  }

  /// Reads what has been decrypted or can be; {0, POLLIN}: feed() more first.
  progress read(char* buf, std::size_t cap) {
    std::lock_guard lk(m_);
    // Nothing fed and nothing decrypted: no need to ask the session (the common case of a
    // reader that has taken every message, and waits).
    if (in_at_ == in_.size() && SSL_has_pending(ssl_.get()) == 0 &&
        SSL_is_init_finished(ssl_.get()))
      return {0, POLLIN};
    ERR_clear_error();  // SSL_get_error() reads the queue: what another library left must go
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_.get(), buf, cap, &n);
    if (rc == 1) return {n, 0};
    return after(rc, errno, "read");
  }

  /// Writes all of `bytes` as TLS records (one record up to 16 KiB), or nothing yet.
  progress write(std::string_view bytes) {
    std::lock_guard lk(m_);
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &n);
    if (rc == 1) return {n, 0};
    return after(rc, errno, "write");
  }

 private:
  // Under m_: what a failed call means (`sys`: errno right after it). Returns what to wait
  // for, or throws.
  progress after(int rc, int sys, std::string_view op) {
    const bool handshaking = op == "handshake";
    const int e = SSL_get_error(ssl_.get(), rc);
    if (e == SSL_ERROR_WANT_READ) return {0, POLLIN};
    if (e == SSL_ERROR_WANT_WRITE) return {0, POLLOUT};
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && sys == 0))
      throw transport_error(handshaking
                                ? "the server closed the connection during the TLS handshake"
                                : "redwire::redis: connection closed by the server");
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
      throw transport_error((handshaking ? "" : "redwire::redis: ") + std::string(op) +
                            " failed: " + std::strerror(sys));
    const long verdict = SSL_get_verify_result(ssl_.get());
    const int reason = ERR_GET_REASON(ERR_peek_error());
    std::string cause;
    if (handshaking &&
        (verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH))
      cause = "host name mismatch: the server's certificate is not for '" + name_ + "'";
    else if (handshaking && verdict != X509_V_OK)
      cause = std::string("certificate not trusted: ") + X509_verify_cert_error_string(verdict);
    else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
             reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTP_REQUEST)
      cause = "the server does not speak TLS (a plaintext port? then use redis://)";
    else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
             reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)
      cause = "the server refused us (" + openssl_error_text() +
              "): does it require a client certificate (cert= and key=)?";
    else
      cause = "TLS error: " + openssl_error_text();
    ERR_clear_error();
    throw transport_error(handshaking ? cause : "redwire::redis: " + cause);
  }

  // The BIO (its data: the tls_stream, under m_): writes go out with send(), reads take what
  // feed() gave.
  static int bio_write(BIO* b, const char* data, int n) {
    BIO_clear_retry_flags(b);
    const int fd = static_cast<tls_stream*>(BIO_get_data(b))->fd_;
    ssize_t r = ::send(fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      BIO_set_retry_write(b);
    return static_cast<int>(r);
  }
  static int bio_read(BIO* b, char* data, int n) {
    BIO_clear_retry_flags(b);
    tls_stream& t = *static_cast<tls_stream*>(BIO_get_data(b));
    const std::size_t take = std::min(t.in_.size() - t.in_at_, static_cast<std::size_t>(n));
    if (take == 0) {
      BIO_set_retry_read(b);
      return -1;
    }
    std::memcpy(data, t.in_.data() + t.in_at_, take);
    t.in_at_ += take;
    return static_cast<int>(take);
  }
  static long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }
  static BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "redwire");
      BIO_meth_set_write(made, bio_write);
      BIO_meth_set_read(made, bio_read);
      BIO_meth_set_ctrl(made, bio_ctrl);
      BIO_meth_set_create(made, [](BIO* b) {
        BIO_set_init(b, 1);
        return 1;
      });
      return made;
    }();
    return m;
  }

  struct free_ssl {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };
  std::mutex m_;
  std::unique_ptr<SSL, free_ssl> ssl_;
  int fd_;
  std::string in_;  // fed, encrypted; the session has read up to in_at_ (under m_)
  std::size_t in_at_ = 0;
  std::string name_;
};

}  // namespace redwire::redis::detail
