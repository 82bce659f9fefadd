"""NativeAuthenticator as the class uses it: its login errors in Chinese as well as
English, and working with JupyterHub 6.

The class signs up and logs in on NativeAuthenticator's own page, which says what went
wrong in English only; a zh student must read it too. NativeAuthenticator 1.3.0 (the
newest) times each login with ``self.statsd``, which JupyterHub 6 no longer has: without
the stand-in below every login fails with a server error. Loaded by jupyterhub_config.py.
"""

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler

WRONG = "用户名或密码不对：请检查后重新输入（区分大小写）。忘了密码请找老师。"
WAITING = "老师还没有批准这个账号：请等老师在“授权”页面批准后再登录。"


def in_both_languages(error: str) -> str:
    if "has not been authorized" in error:
        return f"{WAITING} / {error}"
    return f"{WRONG} / {error}"


class _NoStats:
    """What NativeAuthenticator asks of the statsd client JupyterHub 6 removed."""

    def timer(self, *args, **kwargs):
        return self

    def start(self):
        return self

    def stop(self, *args, **kwargs):
        pass

    def incr(self, *args, **kwargs):
        pass


class BilingualLoginHandler(LoginHandler):
    statsd = _NoStats()

    def _render(self, login_error=None, username=None, **kwargs):
        if login_error:
            login_error = in_both_languages(login_error)
        return super()._render(login_error=login_error, username=username)


class CourseNativeAuthenticator(NativeAuthenticator):
    def get_handlers(self, app):
        return [(path, BilingualLoginHandler if handler is LoginHandler else handler)
                for path, handler in super().get_handlers(app)]
