using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace HotZk.Replication.Tests.Transport;

/// <summary>A hand-driven TCP client speaking (or abusing) the peer wire format, for rejection tests.</summary>
public sealed class RawPeer : IDisposable
{
    public const long Magic = 0x487A4B5A41420001;

    private readonly Socket _socket;

    public RawPeer(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
    }

    public void SendHandshake(long magic, long sender, long receiver)
    {
        var hello = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(hello, magic);
        BinaryPrimitives.WriteInt64BigEndian(hello.AsSpan(8), sender);
        BinaryPrimitives.WriteInt64BigEndian(hello.AsSpan(16), receiver);
        _socket.Send(hello);
    }

    /// <summary>Reads the acceptor's 24-byte reply and checks it names the expected ids.</summary>
    public void ExpectReply(long sender, long receiver)
    {
        var reply = new byte[24];
        _socket.ReceiveTimeout = 5000;
        for (var got = 0; got < reply.Length;)
        {
            int n = _socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            Assert.True(n > 0, "connection closed instead of a handshake reply");
            got += n;
        }
        Assert.Equal(Magic, BinaryPrimitives.ReadInt64BigEndian(reply));
        Assert.Equal(sender, BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8)));
        Assert.Equal(receiver, BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(16)));
    }

    public void Send(ReadOnlySpan<byte> bytes) => _socket.Send(bytes);

    /// <summary>Sends a well-formed frame.</summary>
    public void SendFrame(byte type, long zxid, ReadOnlySpan<byte> data)
    {
        var frame = new byte[13 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 9 + data.Length);
        frame[4] = type;
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(5), zxid);
        data.CopyTo(frame.AsSpan(13));
        _socket.Send(frame);
    }

    /// <summary>True when the other end closes the connection within <paramref name="timeoutMs"/> (anything it sends is skipped).</summary>
    public bool WaitClosed(int timeoutMs = 5000)
    {
        var buffer = new byte[256];
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (!_socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead))
                    continue;
                if (_socket.Receive(buffer) == 0)
                    return true;
            }
            catch (SocketException)
            {
                return true; // reset: closed too
            }
        }
        return false;
    }

    public void Dispose() => _socket.Dispose();
}
