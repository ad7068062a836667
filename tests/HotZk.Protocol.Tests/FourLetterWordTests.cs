using System.Buffers;
using System.Text;
using HotZk.Protocol;

namespace HotZk.Protocol.Tests;

public class FourLetterWordTests
{
    [Theory]
    [InlineData("ruok", FourLetterCommand.Ruok)]
    [InlineData("srvr", FourLetterCommand.Srvr)]
    [InlineData("stat", FourLetterCommand.Stat)]
    [InlineData("mntr", FourLetterCommand.Mntr)]
    [InlineData("conf", FourLetterCommand.Conf)]
    [InlineData("cons", FourLetterCommand.Cons)]
    [InlineData("crst", FourLetterCommand.Crst)]
    [InlineData("envi", FourLetterCommand.Envi)]
    [InlineData("wchs", FourLetterCommand.Wchs)]
    [InlineData("wchc", FourLetterCommand.Wchc)]
    [InlineData("wchp", FourLetterCommand.Wchp)]
    [InlineData("dump", FourLetterCommand.Dump)]
    [InlineData("srst", FourLetterCommand.Srst)]
    [InlineData("isro", FourLetterCommand.Isro)]
    [InlineData("dirs", FourLetterCommand.Dirs)]
    [InlineData("gtmk", FourLetterCommand.Gtmk)]
    [InlineData("stmk", FourLetterCommand.Stmk)]
    [InlineData("hash", FourLetterCommand.Hash)]
    public void RecognisesEachWordAndNamesItBack(string word, FourLetterCommand expected)
    {
        var bytes = Encoding.ASCII.GetBytes(word + "\n");
        Assert.Equal(expected, FourLetterWords.Detect(bytes));
        Assert.Equal(word, FourLetterWords.Name(expected));
        // The length prefix of any real frame is far below these values, so framing would call them invalid.
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(FrameStatus.Invalid, FrameReader.TryReadFrame(ref seq, FrameReader.DefaultMaxFrameLength, out _));
    }

    [Fact]
    public void RecognisesAcrossSegments()
    {
        var seq = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("ruok"));
        Assert.Equal(FourLetterCommand.Ruok, FourLetterWords.Detect(seq));
    }

    [Theory]
    [InlineData("RUOK")]
    [InlineData("ruo")]
    [InlineData("kill")]
    public void OtherInputIsNotAFourLetterWord(string text) =>
        Assert.Equal(FourLetterCommand.None, FourLetterWords.Detect(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void ConnectRequestFrameIsNotAFourLetterWord() =>
        Assert.Equal(FourLetterCommand.None, FourLetterWords.Detect([0, 0, 0, 0x2d, 0]));

    [Fact]
    public void TelnetInterruptIsRecognised() =>
        Assert.Equal(FourLetterCommand.TelnetClose, FourLetterWords.Detect([0xff, 0xf4, 0xff, 0xfd]));
}
